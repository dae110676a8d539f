"""Every response the simulator teaches the moto server because moto lacks it: this module is the one place.

Five teachings: Config compliance, AssumeRole refusals, Organizations refusals, IAM server certificates' metadata
and IAM Access Analyzer's analyzers.

**Config compliance.** moto 5.2 stores Config rules but never evaluates them: it implements neither
GetComplianceDetailsByConfigRule nor DescribeComplianceByConfigRule (its server answers HTTP 500, which the
collector's botocore retries for 20 to 35 seconds per call), and accepts PutEvaluations only in test mode. So the
simulator plays AWS Config's part itself, for the one read call the product makes:

1. The Config seeder (:mod:`aws_assets.sim.estate.config`) evaluates each rule it creates on the seeded resources
   (:mod:`aws_assets.sim.config_rule_engine`).
2. It reports the results as a custom rule's Lambda function does, with PutEvaluations. AWS hands that function an
   opaque ResultToken naming the rule; here the token is the rule's name.
3. The moto server, taught by :func:`teach_moto`, keeps the results per rule and answers
   GetComplianceDetailsByConfigRule from them.

**AssumeRole refusals.** moto's STS AssumeRole succeeds for any role ARN. AWS answers ``AccessDenied`` ("User:
<caller> is not authorized to perform: sts:AssumeRole on resource: <role ARN>") when the role does not exist, when its
trust policy does not trust the caller, or when the trust policy's ``sts:ExternalId`` condition fails. Taught: the
same error when no role of that name exists in the target account's IAM (the role's path is not compared: a role's
name is unique in its account), and when every statement of the role's trust policy that allows ``sts:AssumeRole``
has a ``StringEquals`` ``sts:ExternalId`` condition and the request's ExternalId matches none of them (no
ExternalId matches nothing). The trust policy's principals and its other conditions are not evaluated.

**Organizations refusals.** moto answers a member account's ListRoots as if the management account had called it,
and its other list calls from the member's own, empty, view (ParentNotFoundException). AWS refuses a member account
that is neither the management account nor a delegated administrator with ``AccessDeniedException`` ("You don't have
permissions to access this resource.") for the calls in :data:`MANAGEMENT_READS`; DescribeOrganization answers any
member. Taught: that refusal. A delegated administrator (of any service, ``RegisterDelegatedAdministrator``) is let
through to moto, which still answers it from its own view; write calls from members are not taught.

**IAM server certificates' metadata.** moto 5.2 stores uploaded server certificates but answers
ListServerCertificates with the same made-up metadata for each (one certificate ID, an upload date of 2010 and an
expiration of 2012) and never pages. AWS answers each certificate's own ID, upload date and expiration (the
certificate's X.509 ``notAfter``), filters by ``PathPrefix`` and pages with ``MaxItems`` (100 by default) and
``Marker``. Taught: that answer (:func:`_teach_server_certificate_metadata`); the ID and upload date are recorded when
the certificate is uploaded.

**IAM Access Analyzer.** moto 5.2 has no Access Analyzer at all. Taught: a service of its own answering
CreateAnalyzer and ListAnalyzers (``type`` filter, ``maxResults`` and ``nextToken`` paging) as AWS documents them, per
account and region (:func:`_teach_access_analyzer`). A created analyzer is ACTIVE at once (AWS has it CREATING for a
moment first); creating one whose name the region has is AWS's ConflictException.

The product knows nothing of this: it calls the real API, as it would on AWS.

**Where the refusals apply.** The Config teaching serves every caller. The refusals apply only to requests that
:func:`aws_assets.sim.server.start_moto_server`'s server marks (:data:`SIMULATOR_HEADER`) and, in process, inside
:func:`refusals_in_process`, which a test opts into: other moto servers and ``mock_aws`` keep moto's behaviour.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

# Reported results by rule ARN, then by (resource type, resource ID): a later result for a resource
# replaces the earlier one, as in AWS Config. The ARN names the account, region and rule; a rule
# created again (after a moto reset) gets a new ARN, so results never outlive their rule.
_CONFIG_RESULTS: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
_CONFIG_RESULTS_LOCK = threading.Lock()  # the server answers each request on its own thread
_DEFAULT_EVALUATION_PAGE = 10  # AWS's page size when GetComplianceDetailsByConfigRule has no Limit


# Set on every request by the simulator's server (aws_assets.sim.server), and only there: the refusals below apply
# to the requests that carry it, so another moto server in the same process keeps moto's behaviour.
SIMULATOR_HEADER = "X-Aws-Assets-Simulator"
_REFUSING_IN_PROCESS = False  # the opt-in of in-process (mock_aws) callers: see refusals_in_process
_TAUGHT = "_aws_assets_taught"  # marks a moto method this module has wrapped, so teaching is idempotent

# AWS's documentation of each says: "can be called only from the organization's management account or by a member
# account that is a delegated administrator".
MANAGEMENT_READS = (
    "describe_account", "describe_create_account_status", "describe_organizational_unit", "describe_policy",
    "list_accounts", "list_accounts_for_parent", "list_aws_service_access_for_organization", "list_children",
    "list_create_account_status", "list_delegated_administrators", "list_delegated_services_for_account",
    "list_organizational_units_for_parent", "list_parents", "list_policies", "list_policies_for_target",
    "list_roots", "list_tags_for_resource", "list_targets_for_policy",
)


def teach_moto() -> None:
    """Teach moto what this module adds; call it before the server starts. Idempotent."""
    # botocore's STS model has no AccessDenied shape (AWS's common error), so moto warns on each refusal and answers
    # HTTP 400 where AWS answers 403; botocore reads the code, not the status. Organizations models its refusal.
    warnings.filterwarnings(
        "ignore", message=r"Exception\(STSClientError\) with code AccessDenied does not match", category=UserWarning
    )
    _teach_config_compliance()
    _teach_assume_role_refusals()
    _teach_organizations_refusals()
    _teach_server_certificate_metadata()
    _teach_access_analyzer()


@contextlib.contextmanager
def refusals_in_process() -> Iterator[None]:
    """Apply the AssumeRole and Organizations refusals to in-process moto (``mock_aws``) callers too, while inside."""
    global _REFUSING_IN_PROCESS
    teach_moto()
    previous, _REFUSING_IN_PROCESS = _REFUSING_IN_PROCESS, True
    try:
        yield
    finally:
        _REFUSING_IN_PROCESS = previous


def _refusing(response: Any) -> bool:
    # moto's request headers are case-insensitive (werkzeug's on its server, botocore's in process).
    return _REFUSING_IN_PROCESS or SIMULATOR_HEADER in (response.headers or {})


def _wrap(response_class: type, action: str, refusal: Callable[[Any], Exception | None]) -> None:
    """Make moto's `action` raise `refusal(response)` when that is an error and the request is refused."""
    moto_action = getattr(response_class, action)
    if getattr(moto_action, _TAUGHT, False):
        return

    def action_or_refusal(response: Any) -> Any:
        if _refusing(response):
            error = refusal(response)
            if error is not None:
                raise error
        return moto_action(response)

    setattr(action_or_refusal, _TAUGHT, True)
    setattr(response_class, action, action_or_refusal)


def _teach_assume_role_refusals() -> None:
    from moto.sts.responses import TokenResponse

    _wrap(TokenResponse, "assume_role", _assume_role_refusal)


def _assume_role_refusal(response: Any) -> Exception | None:
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.utilities.utils import PARTITION_NAMES

    role_arn = response._get_param("RoleArn") or ""
    parts = role_arn.split(":", 5)
    if len(parts) == 6 and parts[1] in PARTITION_NAMES and parts[2] == "iam" and parts[5].startswith("role/"):
        account_id, role_name = parts[4], parts[5].rsplit("/", 1)[-1]
        role = next((r for r in iam_backends[account_id][parts[1]].get_roles() if r.name == role_name), None)
        external_id = response._get_param("ExternalId")
        if role is not None and _trusts_external_id(role.assume_role_policy_document, external_id):
            return None
    _, caller_arn, _ = response.backend.get_caller_identity(response.get_access_key(), response.region)
    return STSClientError(
        "AccessDenied", f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )


def _trusts_external_id(trust_policy: str | dict[str, Any], external_id: str | None) -> bool:
    """False when every statement allowing sts:AssumeRole requires an ExternalId (StringEquals) other than this."""
    document = json.loads(trust_policy) if isinstance(trust_policy, str) else trust_policy
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    required: list[set[str]] = []
    for statement in statements:
        actions = statement.get("Action", [])
        actions = {actions} if isinstance(actions, str) else set(actions)
        if statement.get("Effect") != "Allow" or not actions & {"sts:AssumeRole", "sts:*", "*"}:
            continue
        equals = {key.lower(): value for key, value in statement.get("Condition", {}).get("StringEquals", {}).items()}
        if "sts:externalid" not in equals:
            return True
        wanted = equals["sts:externalid"]
        required.append({wanted} if isinstance(wanted, str) else set(wanted))
    return not required or any(external_id in values for values in required)


def _teach_organizations_refusals() -> None:
    from moto.organizations.responses import OrganizationsResponse

    for action in MANAGEMENT_READS:
        _wrap(OrganizationsResponse, action, _organizations_refusal)


def _organizations_refusal(response: Any) -> Exception | None:
    from moto.organizations.exceptions import OrganizationsClientError
    from moto.organizations.models import organizations_backends

    caller = response.current_account
    if caller not in organizations_backends.master_accounts:
        return None  # the management account, or an account in no organisation: moto answers as AWS does
    management_id, partition = organizations_backends.master_accounts[caller]
    management = organizations_backends[management_id][partition]
    if caller == management_id or any(admin.account.id == caller for admin in management.admins):
        return None
    return OrganizationsClientError("AccessDeniedException", "You don't have permissions to access this resource.")


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


def _teach_server_certificate_metadata() -> None:
    from moto.iam.models import Certificate
    from moto.iam.responses import IamResponse

    if getattr(IamResponse.list_server_certificates, _TAUGHT, False):
        return
    moto_init = Certificate.__init__

    def init(certificate: Any, *args: Any, **kwargs: Any) -> None:
        moto_init(certificate, *args, **kwargs)
        certificate.upload_date = datetime.now(UTC)
        certificate.certificate_id = "ASCA" + hashlib.sha256(certificate.arn.encode()).hexdigest()[:17].upper()

    def list_server_certificates(response: Any) -> Any:
        from moto.core.responses import ActionResult

        prefix = response._get_param("PathPrefix") or "/"
        certificates = sorted((c for c in response.backend.list_server_certificates() if c.path.startswith(prefix)),
                              key=lambda c: c.cert_name)
        start = int(response._get_param("Marker") or 0)
        limit = int(response._get_param("MaxItems") or _DEFAULT_SERVER_CERTIFICATE_PAGE)
        listed = [_server_certificate_metadata(c) for c in certificates[start:start + limit]]
        truncated = start + limit < len(certificates)
        page: dict[str, Any] = {"ServerCertificateMetadataList": listed, "IsTruncated": truncated}
        if truncated:
            page["Marker"] = str(start + limit)
        return ActionResult(page)

    setattr(list_server_certificates, _TAUGHT, True)
    Certificate.__init__ = init
    IamResponse.list_server_certificates = list_server_certificates


_DEFAULT_SERVER_CERTIFICATE_PAGE = 100  # AWS's MaxItems when none is given


def _server_certificate_metadata(certificate: Any) -> dict[str, Any]:
    from cryptography import x509

    expiration = x509.load_pem_x509_certificate(certificate.cert_body.encode()).not_valid_after_utc
    return {
        "Path": certificate.path,
        "ServerCertificateName": certificate.cert_name,
        "ServerCertificateId": certificate.certificate_id,
        "Arn": certificate.arn,
        "UploadDate": certificate.upload_date,
        "Expiration": expiration,
    }


ACCESS_ANALYZER = "accessanalyzer"  # botocore's name of the service; AWS signs and routes it as access-analyzer
_ACCESS_ANALYZER_URL = r"https?://access-analyzer\.(.+)\.amazonaws\.com"
_DEFAULT_ANALYZER_PAGE = 100  # the page ListAnalyzers answers when maxResults is not given


def _teach_access_analyzer() -> None:
    """Register a moto service for Access Analyzer: its backend per account and region, and its URLs, where moto's
    in-process mock and its server both look services up (moto.backends.get_backend, backend_url_patterns)."""
    import moto.backends
    from moto import backend_index

    if getattr(moto.backends.get_backend, _TAUGHT, False):
        return
    analyzer_backends = _access_analyzer_backends()
    moto_get_backend = moto.backends.get_backend

    def get_backend(name: str) -> Any:
        return analyzer_backends if name == ACCESS_ANALYZER else moto_get_backend(name)  # type: ignore[call-overload]

    setattr(get_backend, _TAUGHT, True)
    moto.backends.get_backend = get_backend  # type: ignore[assignment]
    backend_index.backend_url_patterns.append((ACCESS_ANALYZER, re.compile(_ACCESS_ANALYZER_URL)))


def _access_analyzer_backends() -> Any:
    from types import SimpleNamespace

    from moto.core.base_backend import BackendDict, BaseBackend
    from moto.core.responses import BaseResponse

    class AccessAnalyzerBackend(BaseBackend):
        def __init__(self, region_name: str, account_id: str) -> None:
            super().__init__(region_name, account_id)
            self.analyzers: dict[str, dict[str, Any]] = {}

        @property
        def _url_module(self) -> Any:
            return SimpleNamespace(url_bases=[_ACCESS_ANALYZER_URL],
                                   url_paths={"{0}/analyzer$": AccessAnalyzerResponse.dispatch})

    backends = BackendDict(AccessAnalyzerBackend, ACCESS_ANALYZER)

    class AccessAnalyzerResponse(BaseResponse):
        def __init__(self) -> None:
            super().__init__(service_name=ACCESS_ANALYZER)

        @property
        def analyzers(self) -> dict[str, dict[str, Any]]:
            return backends[self.current_account][self.region].analyzers

        def create_analyzer(self) -> str:
            from moto.core.exceptions import JsonRESTError

            name = self._get_param("analyzerName")
            if name in self.analyzers:
                raise JsonRESTError("ConflictException", f"Analyzer {name} already exists")
            arn = f"arn:{self.partition}:access-analyzer:{self.region}:{self.current_account}:analyzer/{name}"
            configuration = self._get_param("configuration")
            self.analyzers[name] = {
                "arn": arn, "name": name, "type": self._get_param("type"),
                "createdAt": datetime.now(UTC).isoformat(), "tags": self._get_param("tags") or {},
                "status": "ACTIVE", **({"configuration": configuration} if configuration else {}),
            }
            return json.dumps({"arn": arn})

        def list_analyzers(self) -> str:
            wanted = self._get_param("type")
            found = [a for name, a in sorted(self.analyzers.items()) if not wanted or a["type"] == wanted]
            start = int(self._get_param("nextToken") or 0)
            limit = int(self._get_param("maxResults") or _DEFAULT_ANALYZER_PAGE)
            page: dict[str, Any] = {"analyzers": found[start:start + limit]}
            if start + limit < len(found):
                page["nextToken"] = str(start + limit)
            return json.dumps(page)

    return backends
