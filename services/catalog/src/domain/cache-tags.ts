/**
 * Names of what cached catalog reads depend on. A write invalidates exactly the tags whose
 * readers could now see something different.
 */
export const productTag = (id: string): string => `product:${id}`;
export const stockTag = (productId: string): string => `stock:${productId}`;
/** Every product listing: membership or order may change when a product appears, moves or changes price. */
export const PRODUCT_LISTS = 'products:list';
export const CATEGORIES = 'categories';

/** Drops cached reads by tag, in every worker of every service. */
export type InvalidateTags = (tags: string[]) => Promise<void>;

/** What a stock change of these products invalidates; `lists` when one may have entered or left stock. */
export const stockChangeTags = (productIds: readonly string[], lists: boolean): string[] => [
  ...productIds.flatMap((id) => [productTag(id), stockTag(id)]),
  ...(lists ? [PRODUCT_LISTS] : []),
];

const PRODUCT_TAG = /^product:([a-f0-9]{24})$/;

/**
 * The paths nginx's edge cache may hold that an invalidation makes stale (decision 0018: it
 * caches a product by id, tagged like the services' own entry).
 */
export function edgePathsFor(message: { tags?: readonly string[] }): string[] {
  return (message.tags ?? []).flatMap((tag) => {
    const id = PRODUCT_TAG.exec(tag)?.[1];
    return id ? [`/api/catalog/products/${id}`] : [];
  });
}
