"""Every response the simulator teaches the moto server because moto lacks it: this module is the one place.

Today that is Config compliance. moto 5.2 stores Config rules but never evaluates them: it implements neither
GetComplianceDetailsByConfigRule nor DescribeComplianceByConfigRule (its server answers HTTP 500, which the
collector's botocore retries for 20 to 35 seconds per call), and accepts PutEvaluations only in test mode. So the
simulator plays AWS Config's part itself, for the one read call the product makes:

1. The Config seeder (:mod:`aws_assets.sim.estate.config`) evaluates each rule it creates on the seeded resources
   (:mod:`aws_assets.sim.config_rule_engine`).
2. It reports the results as a custom rule's Lambda function does, with PutEvaluations. AWS hands that function an
   opaque ResultToken naming the rule; here the token is the rule's name.
3. The moto server, taught by :func:`teach_moto`, keeps the results per rule and answers
   GetComplianceDetailsByConfigRule from them.

The product knows nothing of this: it calls the real API, as it would on AWS.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

# Reported results by rule ARN, then by (resource type, resource ID): a later result for a resource
# replaces the earlier one, as in AWS Config. The ARN names the account, region and rule; a rule
# created again (after a moto reset) gets a new ARN, so results never outlive their rule.
_CONFIG_RESULTS: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
_CONFIG_RESULTS_LOCK = threading.Lock()  # the server answers each request on its own thread
_DEFAULT_EVALUATION_PAGE = 10  # AWS's page size when GetComplianceDetailsByConfigRule has no Limit


def teach_moto() -> None:
    """Teach moto's server what this module adds; call it before the server starts. Idempotent."""
    _teach_config_compliance()


def _teach_config_compliance() -> None:
    """Add the calls of steps 2 and 3 to moto's Config service, which dispatches an action to the
    ConfigResponse method of its snake_case name."""
    from moto.config.responses import ConfigResponse

    if getattr(ConfigResponse, "get_compliance_details_by_config_rule", None) is _get_compliance_details:
        return
    moto_put_evaluations = ConfigResponse.put_evaluations

    def put_evaluations(response: ConfigResponse) -> str:
        # moto's own implementation keeps serving test mode, which validates without storing.
        if response._get_param("TestMode"):
            return moto_put_evaluations(response)
        return _put_evaluations(response)

    ConfigResponse.put_evaluations = put_evaluations
    ConfigResponse.get_compliance_details_by_config_rule = _get_compliance_details


def _put_evaluations(response: Any) -> str:
    from moto.config.exceptions import InvalidResultTokenException

    rule = response.config_backend.config_rules.get(response._get_param("ResultToken"))
    if rule is None:
        raise InvalidResultTokenException()
    recorded_at = time.time()  # the JSON protocol's timestamps are epoch seconds
    with _CONFIG_RESULTS_LOCK:
        results = _CONFIG_RESULTS.setdefault(rule.config_rule_arn, {})
        for evaluation in response._get_param("Evaluations") or []:
            resource = (evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
            results[resource] = {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": rule.config_rule_name,
                        "ResourceType": resource[0],
                        "ResourceId": resource[1],
                        "EvaluationMode": "DETECTIVE",
                    },
                    "OrderingTimestamp": evaluation["OrderingTimestamp"],
                },
                "ComplianceType": evaluation["ComplianceType"],
                "ResultRecordedTime": recorded_at,
                "ConfigRuleInvokedTime": evaluation["OrderingTimestamp"],
                **({"Annotation": evaluation["Annotation"]} if evaluation.get("Annotation") else {}),
            }
    return json.dumps({"FailedEvaluations": []})


def _get_compliance_details(response: Any) -> str:
    """GetComplianceDetailsByConfigRule: the rule's results, filtered by ComplianceTypes (all when
    none is given) and paged with Limit and NextToken (here an offset)."""
    from moto.config.exceptions import NoSuchConfigRuleException

    name = response._get_param("ConfigRuleName")
    rule = response.config_backend.config_rules.get(name)
    if rule is None:
        raise NoSuchConfigRuleException(name)
    wanted = set(response._get_param("ComplianceTypes") or ())
    with _CONFIG_RESULTS_LOCK:
        stored = _CONFIG_RESULTS.get(rule.config_rule_arn, {})
        results = [stored[resource] for resource in sorted(stored)]
    results = [result for result in results if not wanted or result["ComplianceType"] in wanted]
    limit = response._get_param("Limit") or _DEFAULT_EVALUATION_PAGE
    start = int(response._get_param("NextToken") or 0)
    page: dict[str, Any] = {"EvaluationResults": results[start : start + limit]}
    if start + limit < len(results):
        page["NextToken"] = str(start + limit)
    return json.dumps(page)
