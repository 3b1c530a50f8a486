/** Marks a promise whose rejection is seen later (or deliberately not at all) as handled. */
export const handled = <T>(pending: Promise<T>): Promise<T> => {
  pending.catch(() => undefined);
  return pending;
};
