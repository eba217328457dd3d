/**
 * The header's search box as an ARIA combobox: suggestions from /api/search/suggest as you type
 * (completed words, popular searches, matching products), arrow keys to move, Enter to pick,
 * Escape to close. Without JavaScript it is a plain GET form to /search.
 */
import { h, marked } from '../dom.ts';
import { api, isAbort } from '../lib/api.ts';
import type { Suggestions } from '../lib/api-types.ts';
import { highlightSegments } from '../lib/highlight.ts';
import { routeHref } from '../lib/routes.ts';

const DEBOUNCE_MS = 120;
const MIN_CHARS = 2;

interface Option {
  href: string;
  content: (Node | string)[];
  kind: string;
  /** What the search box shows once the option is chosen. */
  text: string;
}

const searchHref = (q: string): string => routeHref({ name: 'search', params: { q, sort: 'relevance', page: 1 } });

function optionsFrom(s: Suggestions): Option[] {
  const options: Option[] = [];
  const seen = new Set<string>();
  for (const term of [...s.terms, ...s.popular]) {
    const key = term.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    options.push({ href: searchHref(term), content: [term], kind: 'Search', text: term });
  }
  for (const product of s.products) {
    const hl = product.highlights.find((x) => x.field === 'name');
    options.push({ href: `/product/${product.id}`, content: hl ? marked(highlightSegments(product.name, hl.ranges)) : [product.name], kind: 'Product', text: '' });
  }
  return options;
}

export function setUpTypeahead(form: HTMLFormElement, input: HTMLInputElement, listbox: HTMLUListElement, navigate: (href: string) => void): void {
  let options: Option[] = [];
  let active = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | null = null;

  /** Nothing pending may reopen the list after this. */
  const cancel = (): void => {
    clearTimeout(timer);
    inflight?.abort();
    inflight = null;
  };

  const close = (): void => {
    listbox.hidden = true;
    listbox.replaceChildren();
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    options = [];
    active = -1;
  };

  const setActive = (index: number): void => {
    active = index;
    listbox.querySelectorAll('[role="option"]').forEach((el, i) => el.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) input.setAttribute('aria-activedescendant', `suggestion-${index}`);
    else input.removeAttribute('aria-activedescendant');
  };

  const choose = (option: Option): void => {
    cancel();
    close();
    input.value = option.text;
    navigate(option.href);
  };

  const render = (): void => {
    if (options.length === 0) return close();
    listbox.replaceChildren(
      ...options.map((option, i) => {
        const li = h('li', { id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false', class: 'suggestion' }, h('span', { class: 'kind' }, option.kind), ' ', option.content);
        // mousedown, not click: the input keeps focus, so the list does not close first.
        li.addEventListener('mousedown', (event) => {
          event.preventDefault();
          choose(option);
        });
        return li;
      }),
    );
    listbox.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    setActive(-1);
  };

  const fetchSuggestions = async (q: string): Promise<void> => {
    inflight?.abort();
    const controller = new AbortController();
    inflight = controller;
    try {
      const result = await api<Suggestions>(`/api/search/suggest?${new URLSearchParams({ q, limit: '5' })}`, { signal: controller.signal, timeoutMs: 3_000 });
      if (controller.signal.aborted || input.value.trim() !== q || document.activeElement !== input) return;
      options = optionsFrom(result);
      render();
    } catch (error) {
      // Suggestions are a convenience: on any failure the box just works as a plain search.
      if (!isAbort(error)) close();
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    // The highlighted option was for the old text: Enter now searches for what is typed.
    setActive(-1);
    const q = input.value.trim();
    if (q.length < MIN_CHARS) {
      cancel();
      close();
      return;
    }
    timer = setTimeout(() => void fetchSuggestions(q), DEBOUNCE_MS);
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (options.length === 0) return;
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      // Positions cycle through the options and back to the input itself (-1).
      const positions = options.length + 1;
      setActive(((active + 1 + step + positions) % positions) - 1);
    } else if (event.key === 'Enter' && active >= 0) {
      const option = options[active];
      if (option) {
        event.preventDefault();
        choose(option);
      }
    } else if (event.key === 'Escape') {
      cancel();
      close();
    }
  });

  input.addEventListener('blur', () => {
    cancel();
    close();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    cancel();
    close();
    navigate(searchHref(input.value.trim().slice(0, 200)));
  });
}
