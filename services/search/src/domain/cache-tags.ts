/**
 * The one tag every cached search and suggest answer carries: any change to the index drops them
 * all (in every worker's cache, and at the edge by a new generation).
 */
export const SEARCH_RESULTS = 'search:results';
