"""Order checks. Importing this package registers every rule."""

from validation import rules as _rules  # noqa: F401  (registers the rules)
from validation import stock as _stock  # noqa: F401  (registers the rules)
from validation.base import Context, Issue, Rule, rule, rules, validate

__all__ = ["Context", "Issue", "Rule", "rule", "rules", "validate"]
