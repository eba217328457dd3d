import type { PerformanceSummary, VitalsPage, WebVitals } from '@shop/metrics';
import { VITALS_PAGES } from '@shop/metrics';
import { apiRoute, apiRouter, type Auth } from '@shop/service-kit';
import type { Router } from 'express';
import { z } from 'zod';

export const PERFORMANCE_PREFIX = '/api/performance';

/** What a browser may report: at most 8 readings per beacon, each within a plausible range. */
export const vitalsBody = z.strictObject({
  page: z.enum(VITALS_PAGES),
  metrics: z
    .array(
      z.discriminatedUnion('name', [
        // Timings in milliseconds: a minute is far past anything real.
        z.strictObject({ name: z.enum(['LCP', 'INP', 'FID']), value: z.number().finite().min(0).max(60_000) }),
        z.strictObject({ name: z.literal('CLS'), value: z.number().finite().min(0).max(10) }),
      ]),
    )
    .min(1)
    .max(8),
});

/**
 * The performance API, served by the catalog (nginx routes /api/performance here):
 * the cluster-wide summary of every service (admin) and the storefront's web-vitals beacon.
 */
export function performanceRouter(summary: () => Promise<PerformanceSummary>, vitals: WebVitals, auth: Auth): Router {
  return apiRouter(
    { title: 'Performance API', version: '1.0.0', description: 'Latency, errors, cache and database figures of every service; web vitals from the storefront.', prefix: PERFORMANCE_PREFIX },
    [
      apiRoute({
        method: 'get',
        path: '/metrics',
        operationId: 'performanceSummary',
        summary: 'Per service: request p50/p95/p99, error rate, cache hit rate per layer, MongoDB p95; recent slow queries; web vitals p75',
        tags: ['performance'],
        roles: ['admin'],
        schemas: {},
        responses: { 200: 'The summary, across all workers of every service', 401: 'No or invalid bearer token', 403: 'Signed in without the admin role' },
        handler: async (_input, _req, res) => {
          res.setHeader('Cache-Control', 'no-store');
          res.json(await summary());
        },
      }),
      apiRoute({
        method: 'post',
        path: '/vitals',
        operationId: 'reportVitals',
        summary: 'Web vitals (LCP, INP or FID, CLS) measured by a storefront page',
        tags: ['performance'],
        schemas: { body: vitalsBody },
        responses: { 202: 'Recorded', 400: 'Invalid input (code VALIDATION_FAILED)' },
        handler: ({ body }, _req, res) => {
          for (const metric of body.metrics) vitals.observe(metric.name, metric.value, body.page as VitalsPage);
          res.status(202).json({ accepted: body.metrics.length });
        },
      }),
    ],
    auth,
  );
}
