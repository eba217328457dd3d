import type { App } from '../app.ts';
import type { Route } from '../lib/routes.ts';

export interface ViewContext {
  app: App;
  /** Aborted when the shopper navigates away before the view finished loading. */
  signal: AbortSignal;
}

/** Loads what the page needs and returns its content; main.ts swaps it in. Throws to show an error panel. */
export type View<R extends Route = Route> = (route: R, ctx: ViewContext) => Promise<{ title: string; content: Node }>;
