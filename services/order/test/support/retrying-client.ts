import type { Response } from 'supertest';

/** One answer as a client sees it. */
export interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | undefined;
  replayed: boolean;
  body: { id?: string; error?: { code: string } };
}

export const answerOf = (res: Response): Answer => ({
  status: res.status,
  code: (res.body as Answer['body']).error?.code,
  retryAfter: res.headers['retry-after'] as string | undefined,
  replayed: res.headers['idempotent-replayed'] === 'true',
  body: res.body as Answer['body'],
});

/** `201`, `503 DEPENDENCY_UNAVAILABLE`, … for printing what a client saw. */
export const describeAnswers = (answers: Answer[]): string =>
  answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}${a.replayed ? ' (replayed)' : ''}`).join(' → ');

const retryable = (a: Answer): boolean => a.status === 503 || (a.status === 409 && a.code === 'IDEMPOTENCY_IN_PROGRESS');

/**
 * What a well-behaved client does with one request: sends it again (same key, same body) after a
 * 503 or a 409 IDEMPOTENCY_IN_PROGRESS, pausing as Retry-After says (capped, to keep tests short),
 * until any other answer. Returns every answer, the final one last.
 */
export async function sendUntilFinal(send: () => PromiseLike<Response>, { maxTries = 40, maxPauseMs = 250 } = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const answer = answerOf(await send());
    answers.push(answer);
    if (!retryable(answer)) return answers;
    const pause = Math.min(Number(answer.retryAfter ?? 1) * 1_000, maxPauseMs);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return answers;
}
