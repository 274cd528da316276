"""Break records: the open items of a reconciliation and how operators work them."""
