// Pages of a longer list as privacyIDEA's list endpoints give them (/token/, /audit/):
// pages count from 1, and `next`/`prev` are null where there is no such page.

export interface Page<T> {
  readonly items: T[];
  /** How many there are in all (every page). */
  readonly count: number;
  readonly current: number;
  readonly next: number | null;
  readonly prev: number | null;
}

/** The page of `items` (already cut to it) when `count` match in all. */
export function pageFrom<T>(items: T[], count: number, page: number, pageSize: number): Page<T> {
  return {
    items,
    count,
    current: page,
    next: page * pageSize < count ? page + 1 : null,
    prev: page > 1 ? page - 1 : null,
  };
}

/** Cuts one page out of a whole list. */
export function pageOf<T>(all: readonly T[], page: number, pageSize: number): Page<T> {
  const start = (page - 1) * pageSize;
  return pageFrom(all.slice(start, start + pageSize), all.length, page, pageSize);
}
