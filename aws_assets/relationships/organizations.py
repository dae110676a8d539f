"""The organisation's tree (organization HAS root HAS OU HAS OU ... HAS account), each account of the tree that IS
a collected `aws_account`, and the SCPs and RCPs ASSIGNED to the roots, OUs and accounts they are attached to.

The verbs follow JupiterOne's live graph, whose tree edges are HAS (`aws_organization HAS aws_organization_root`,
`aws_organization_root HAS aws_organizational_unit`, `aws_organizational_unit HAS aws_account`), and its data
model, which has ASSIGNED (not APPLIES_TO) for a policy and what it governs. The tree ends at the organisation's own
account entities, which exist for every account of the organisation, and each IS the `aws_account` of an account
that is collected too. Every join stays within one `accountId`: one account's view of its organisation (see
`aws_assets/services/organizations.py` on keys).
"""

from __future__ import annotations

from aws_assets.model.relationship import RelationshipType

ORGANIZATION, ROOT, UNIT = "aws_organization", "aws_organization_root", "aws_organizational_unit"
MEMBER, POLICY = "aws_organization_account", "aws_organizations_policy"
# What each node of the tree is called in descriptions, and the column holding the ID its children name in
# `parentId` and policies in `targetIds`.
NODES = {ROOT: ("root", "rootId"), UNIT: ("OU", "organizationalUnitId"), MEMBER: ("account", "memberAccountId")}


def parent_has(parent_type: str, child_type: str) -> RelationshipType:
    (parent, id_column), (child, _) = NODES[parent_type], NODES[child_type]
    return RelationshipType(
        parent_type, "HAS", child_type,
        f"The {child} sits directly in the {'parent ' if parent_type == child_type else ''}{parent}.",
        f"SELECT p._key AS _fromEntityKey, c._key AS _toEntityKey, c.accountId "
        f"FROM {child_type} c JOIN {parent_type} p ON p.accountId = c.accountId AND p.{id_column} = c.parentId",
        in_spec=False,
    )


def policy_assigned(target_type: str) -> RelationshipType:
    target, id_column = NODES[target_type]
    return RelationshipType(
        POLICY, "ASSIGNED", target_type,
        f"The policy is attached to the {target}: it governs the {target} and all the {target} contains.",
        f"SELECT p._key AS _fromEntityKey, t._key AS _toEntityKey, p.accountId "
        f"FROM {POLICY} p, unnest(p.targetIds) AS a(target_id) "
        f"JOIN {target_type} t ON t.accountId = p.accountId AND t.{id_column} = a.target_id",
        in_spec=False,
    )


RELATIONSHIPS = (
    RelationshipType(
        ORGANIZATION, "HAS", ROOT,
        "The root is the organisation's.",
        f"SELECT o._key AS _fromEntityKey, r._key AS _toEntityKey, r.accountId "
        f"FROM {ROOT} r JOIN {ORGANIZATION} o ON o.accountId = r.accountId AND o.organizationId = r.organizationId",
        in_spec=False,
    ),
    parent_has(ROOT, UNIT),
    parent_has(UNIT, UNIT),
    parent_has(ROOT, MEMBER),
    parent_has(UNIT, MEMBER),
    RelationshipType(
        MEMBER, "IS", "aws_account",
        "The organisation's account is this collected account.",
        f"SELECT m._key AS _fromEntityKey, a._key AS _toEntityKey, m.accountId "
        f"FROM {MEMBER} m JOIN aws_account a ON a.accountId = m.memberAccountId",
        in_spec=False,
    ),
    *(policy_assigned(target_type) for target_type in (ROOT, UNIT, MEMBER)),
)
