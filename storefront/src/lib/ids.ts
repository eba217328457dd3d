/** A catalog or order id as the APIs write it: a 24-hex MongoDB ObjectId. */
export const OBJECT_ID = /^[0-9a-f]{24}$/;
