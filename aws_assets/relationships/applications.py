"""Edges of applications and databases: API Gateway to Lambda, RDS clusters to their instances, databases to
their snapshots."""

from __future__ import annotations

from aws_assets.model.entity import boolean, strings
from aws_assets.model.relationship import RelationshipType

RELATIONSHIPS = (
    RelationshipType(
        "aws_api_gateway_rest_api", "TRIGGERS", "aws_lambda_function",
        "Methods of the API invoke the function (AWS or AWS_PROXY integrations); one edge per API and function.",
        "SELECT a._key AS _fromEntityKey, f._key AS _toEntityKey, a.accountId, "
        "list(DISTINCT m.httpMethod ORDER BY m.httpMethod) AS httpMethods, "
        "list(DISTINCT m.resourcePath ORDER BY m.resourcePath) AS resourcePaths, "
        "list(DISTINCT m.httpMethod || ' ' || m.resourcePath ORDER BY m.httpMethod || ' ' || m.resourcePath) "
        "AS methods "
        "FROM aws_api_gateway_rest_api a, unnest(a.integrations) AS t(m) "
        "JOIN aws_lambda_function f ON f._key = m.lambdaFunctionArn "
        "GROUP BY ALL",
        properties=(
            strings("httpMethods", "HTTP methods integrated with the function"),
            strings("resourcePaths", "Resource paths integrated with the function"),
            strings("methods", "Each integrated method as `<HTTP method> <resource path>`"),
        ),
    ),
    RelationshipType(
        "aws_rds_cluster", "CONTAINS", "aws_db_instance",
        "The DB instance is a member of the cluster.",
        "SELECT c._key AS _fromEntityKey, i._key AS _toEntityKey, i.accountId, "
        "c.writerInstanceIdentifier = i.dbInstanceIdentifier AS writer "
        "FROM aws_db_instance i JOIN aws_rds_cluster c ON c.accountId = i.accountId AND c.region = i.region "
        "AND c.dbClusterIdentifier = i.dbClusterIdentifier",
        properties=(boolean("writer", "Whether the instance is the cluster's writer"),),
    ),
    RelationshipType(
        "aws_db_instance", "HAS", "aws_db_snapshot",
        "The snapshot was taken of the DB instance.",
        "SELECT i._key AS _fromEntityKey, s._key AS _toEntityKey, s.accountId "
        "FROM aws_db_snapshot s JOIN aws_db_instance i ON i.accountId = s.accountId AND i.region = s.region "
        "AND i.dbInstanceIdentifier = s.sourceIdentifier",
    ),
    RelationshipType(
        "aws_rds_cluster", "HAS", "aws_db_cluster_snapshot",
        "The snapshot was taken of the DB cluster.",
        "SELECT c._key AS _fromEntityKey, s._key AS _toEntityKey, s.accountId "
        "FROM aws_db_cluster_snapshot s JOIN aws_rds_cluster c ON c.accountId = s.accountId AND c.region = s.region "
        "AND c.dbClusterIdentifier = s.sourceIdentifier",
    ),
)
