import type { Route } from '../lib/routes.ts';
import { emptyState } from './parts.ts';
import type { View } from './view.ts';

export const notFoundView: View<Extract<Route, { name: 'not-found' }>> = async () => ({
  title: 'Page not found',
  content: emptyState('Page not found', 'There is nothing at this address.', { href: '/', label: 'Browse products' }),
});
