/** Stops whatever global-setup started (servers it merely found keep running). */
export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __shopTestStops?: (() => Promise<void>)[] }).__shopTestStops ?? [];
  await Promise.allSettled(stops.reverse().map((stop) => stop()));
}
