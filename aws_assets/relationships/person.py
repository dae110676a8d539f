"""IAM users mapped to the people they belong to, as the integration spec maps them: by the user's `Email` tag, or
by a user name that is the email of a person in the directory."""

from __future__ import annotations

from aws_assets.inputs.people import DIRECTORY_SOURCE, PERSON_TYPE
from aws_assets.model.entity import string
from aws_assets.model.relationship import RelationshipType

EMAIL_TAG_RULE = "Email tag"
USERNAME_RULE = "username"

# `person.email` is normalised and always a valid address, so normalising the user's side is enough: a malformed
# tag matches no person. The `email` column of aws_iam_user holds the user's Email tag. A user name only maps to a
# person of the directory: a user name alone never creates a Person, nor does it join one that exists only because
# some other user's tag named it. When both rules find the same person, one edge remains, attributed to the tag.
USER_IS_PERSON = RelationshipType(
    "aws_iam_user", "IS", PERSON_TYPE,
    "The user belongs to the person: its `Email` tag is the person's email, or its user name is the email of a "
    "person in the directory (emails compared ignoring case and surrounding spaces).",
    f"SELECT _fromEntityKey, _toEntityKey, accountId, matchedBy FROM ("
    f"SELECT u._key AS _fromEntityKey, p._key AS _toEntityKey, u.accountId, '{EMAIL_TAG_RULE}' AS matchedBy, "
    f"1 AS preference FROM aws_iam_user u JOIN {PERSON_TYPE} p ON p.email = lower(trim(u.email)) "
    f"UNION ALL "
    f"SELECT u._key, p._key, u.accountId, '{USERNAME_RULE}', 2 FROM aws_iam_user u JOIN {PERSON_TYPE} p "
    f"ON p.email = lower(trim(u.username)) AND p.source = '{DIRECTORY_SOURCE}'"
    f") AS matches "
    f"QUALIFY row_number() OVER (PARTITION BY _fromEntityKey, _toEntityKey ORDER BY preference) = 1",
    properties=(
        string(
            "matchedBy",
            f"The rule that mapped the user: `{EMAIL_TAG_RULE}` or `{USERNAME_RULE}` (its user name is the "
            f"person's email); when both find the same person, `{EMAIL_TAG_RULE}`",
        ),
    ),
)

RELATIONSHIPS = (USER_IS_PERSON,)
