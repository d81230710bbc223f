"""What a model sends and how it is read: slugs (`slugs`), times and intervals (`times`), and the resolved
window of a query (`window`). Pure: the clock reading is passed in; every refusal is a `QueryError` whose
message says how to fix the call."""
