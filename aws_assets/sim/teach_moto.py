"""Every response the simulator teaches the moto server because moto lacks it: this module is the one place.

Ten teachings: Config compliance, AssumeRole refusals, Organizations refusals, IAM server certificates' metadata,
IAM Access Analyzer's analyzers, the root user, credential history, the AWS managed policies the estate attaches,
S3's MFA delete, and answers serialised safely beside one another.

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

**The root user.** moto's IAM has no root user: GetAccountSummary always answers ``AccountMFAEnabled`` and
``AccountAccessKeysPresent`` 0, ListVirtualMFADevices lists no device of the root, and the credential report has no
``<root_account>`` row. On AWS only the root user itself, signed in, assigns its MFA device or makes its access keys,
so no call of the seeder's could. Taught: the seeder declares each account's root user (:class:`RootUser`,
:func:`declare_root_user`) and the server answers as AWS documents it: the account summary's two flags; a virtual
device serial ``arn:aws:iam::<account>:mfa/root-account-mfa-device`` assigned to ``arn:aws:iam::<account>:root``
(a hardware device is not listed there, as on AWS); and the report's first row, ``<root_account>`` with the root's
ARN, ``password_enabled`` ``not_supported``, its last sign-in, MFA and first access key.

**Credential history.** moto stamps each user and access key with the moment it is made, and no call (on AWS
either) sets when a user was made or a credential last used: those are the account's history. Taught: the seeder
gives a user's creation, its password's last use and each key's creation and last use (:func:`backdate_user`),
which the server then answers in ListAccessKeys, GetAccessKeyLastUsed, GetAccountAuthorizationDetails and the
credential report.

**AWS managed policies.** AWS defines its managed policies in every account; moto has them only when it loads all of
them (over a thousand, which slows every account's first IAM call). Taught: attaching an AWS managed policy moto has
not loaded loads that one from moto's own copy of AWS's documents, for the simulator's requests.

**S3 MFA delete.** moto's PutBucketVersioning keeps the Status and drops ``MfaDelete``, and its GetBucketVersioning
never answers ``MFADelete``. Taught: a PutBucketVersioning of the simulator's that carries the ``x-amz-mfa`` header
(AWS requires the root user's MFA device to change MFA delete) keeps ``MfaDelete``, and GetBucketVersioning answers
it as ``MFADelete`` (``Enabled`` or ``Disabled``); a bucket never given one answers none, as on AWS.

**Answers serialised beside one another.** moto's EC2 DescribeKeyPairs (and CreateVpcPeeringConnection) adds an
entry to a dictionary of response transformers that every EC2 response shares, on the class, while the server's
other threads are serialising their answers from it: the first such call of a server's life can break a concurrent
answer ("dictionary changed size during iteration", HTTP 500, which botocore reads as "Unable to parse response").
AWS answers each request on its own. Taught: each answer reads a copy of the transformers, taken when it starts.

The product knows nothing of this: it calls the real API, as it would on AWS. The root user and the history are
declared in process: the seeder runs in the server's process (:func:`aws_assets.sim.server.start_moto_server`), and
what it declares lives on moto's IAM backend of the account, so a moto reset forgets it with the rest.

**Where the refusals apply.** The Config, root user and history teachings serve every caller (only the simulator
declares a root user or a history); the managed policies and MFA delete, for the simulator's requests only. The refusals
apply only to requests that :func:`aws_assets.sim.server.start_moto_server`'s server marks (:data:`SIMULATOR_HEADER`)
and, in process, inside :func:`refusals_in_process`, which a test opts into: other moto servers and ``mock_aws`` keep
moto's behaviour.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
    _teach_root_user()
    _teach_aws_managed_policies()
    _teach_mfa_delete()
    _teach_concurrent_serialisation()


def _teach_concurrent_serialisation() -> None:
    from moto.core.serialize import AttributePicker

    moto_init = AttributePicker.__init__
    if getattr(moto_init, _TAUGHT, False):
        return

    def init(picker: Any, alias_providers: Any = None, response_transformers: Any = None) -> None:
        # dict() copies under the interpreter lock: no other thread's insertion lands halfway.
        moto_init(picker, alias_providers, None if response_transformers is None else dict(response_transformers))

    setattr(init, _TAUGHT, True)
    AttributePicker.__init__ = init  # type: ignore[method-assign]


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


# ---- the root user -----------------------------------------------------------------------------------------------

_ROOT_USER = "_aws_assets_root_user"  # the attribute of moto's IAM backend holding the account's declared root user
ROOT_REPORT_NAME = "<root_account>"  # the credential report's name of the root user's row
_REPORT_TIME = "%Y-%m-%dT%H:%M:%S+00:00"


@dataclass(frozen=True)
class RootUser:
    """What the root user of an account has: its MFA device (None, "virtual" or "hardware"), whether it has an
    access key, when it was made and when it last signed in or used its key (None: never)."""

    created: datetime
    mfa: str | None = None
    access_key: bool = False
    password_last_used: datetime | None = None
    access_key_last_used: datetime | None = None

    def __post_init__(self) -> None:
        if self.mfa not in (None, "virtual", "hardware"):
            raise ValueError(f"a root user's MFA is None, 'virtual' or 'hardware', not {self.mfa!r}")
        if self.access_key_last_used is not None and not self.access_key:
            raise ValueError("a root user without an access key has no access key use")


def declare_root_user(account_id: str, root: RootUser) -> None:
    """Give the account's root user `root`: the account summary, the virtual MFA devices and the credential report
    answer accordingly (see the module's docstring)."""
    from moto.iam.models import VirtualMfaDevice

    _teach_root_user()  # in case the server was not taught yet: idempotent
    backend = _iam_backend(account_id)
    setattr(backend, _ROOT_USER, root)
    summary = backend.account_summary
    summary._account_mfa_enabled = int(root.mfa is not None)
    summary._account_access_keys_present = int(root.access_key)
    if root.mfa == "virtual":
        device = VirtualMfaDevice(account_id, backend.region_name, "/root-account-mfa-device")
        device.enable_date = root.created
        device.user = _RootIdentity(account_id, root.created)  # type: ignore[assignment]
        backend.virtual_mfa_devices[device.serial_number] = device


@dataclass(frozen=True)
class _RootIdentity:
    """The root user as ListVirtualMFADevices names the user a device is assigned to."""

    account_id: str
    create_date: datetime
    path: str = "/"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    @property
    def id(self) -> str:
        return self.account_id

    user_id = id

    @property
    def name(self) -> str:
        return self.account_id

    user_name = name


def _iam_backend(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["global"]


def _teach_root_user() -> None:
    from moto.iam.models import IAMBackend

    moto_report = IAMBackend.get_credential_report
    if getattr(moto_report, _TAUGHT, False):
        return

    def get_credential_report(backend: Any) -> str:
        report = moto_report(backend)
        root = getattr(backend, _ROOT_USER, None)
        if root is None:
            return report
        header, _, users = report.partition("\n")
        return f"{header}\n{_root_report_row(backend.account_id, root)}{users}"

    setattr(get_credential_report, _TAUGHT, True)
    IAMBackend.get_credential_report = get_credential_report


def _report_time(moment: datetime | None, never: str) -> str:
    return never if moment is None else moment.strftime(_REPORT_TIME)


def _root_report_row(account_id: str, root: RootUser) -> str:
    """The root user's row, in the columns of moto's header (AWS's: user, arn, user_creation_time, ...)."""
    key = (
        ["true", _report_time(root.created, "N/A"), _report_time(root.access_key_last_used, "N/A"),
         "N/A" if root.access_key_last_used is None else "us-east-1",
         "N/A" if root.access_key_last_used is None else "iam"]
        if root.access_key else ["false", "N/A", "N/A", "N/A", "N/A"]
    )
    fields = [
        ROOT_REPORT_NAME, f"arn:aws:iam::{account_id}:root", _report_time(root.created, "N/A"), "not_supported",
        _report_time(root.password_last_used, "no_information"), "not_supported", "not_supported",
        "true" if root.mfa else "false", *key, "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A",
    ]
    return ",".join(fields) + "\n"


# ---- credential history ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyHistory:
    """When an access key was made and last used (None: never), and where it was used."""

    created: datetime
    last_used: datetime | None = None
    service: str = "s3"
    region: str = "us-east-1"


def backdate_user(account_id: str, user_name: str, created: datetime, password_last_used: datetime | None = None,
                  keys: Sequence[KeyHistory] = ()) -> None:
    """Give an existing user of moto's its history: when it was made, when its password was last used, and for its
    first keys (in the order they were made) when each was made and last used."""
    from moto.iam.models import AccessKeyLastUsed

    user = _iam_backend(account_id).get_user(user_name)
    if len(keys) > len(user.access_keys):
        raise ValueError(f"{user_name} has {len(user.access_keys)} access keys, not {len(keys)}")
    user.create_date = created
    user.password_last_used = password_last_used
    for key, history in zip(user.access_keys, keys, strict=False):
        key.create_date = history.created
        key.last_used = None if history.last_used is None else AccessKeyLastUsed(
            timestamp=history.last_used, service=history.service, region=history.region)


# ---- AWS managed policies ----------------------------------------------------------------------------------------

_AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy"


def _teach_aws_managed_policies() -> None:
    from moto.iam.responses import IamResponse

    for action in ("attach_role_policy", "attach_group_policy", "attach_user_policy"):
        _wrap(IamResponse, action, _load_aws_managed_policy)


def _load_aws_managed_policy(response: Any) -> None:
    """Load the AWS managed policy the request attaches, if moto has not: never an error of its own."""
    from moto.iam.models import AWSManagedPolicy

    arn = response._get_param("PolicyArn") or ""
    backend = response.backend
    if not arn.startswith(_AWS_MANAGED_PREFIX) or arn in backend.managed_policies:
        return None
    name = arn.rsplit("/", 1)[-1]
    data = _aws_managed_policy_documents().get(name)
    if data is not None:
        policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
        if policy.arn == arn:
            backend.aws_managed_policies.append(policy)
            backend.managed_policies[policy.arn] = policy
    return None


@functools.cache
def _aws_managed_policy_documents() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    documents: dict[str, Any] = json.loads(aws_managed_policies_data)
    return documents


# ---- S3 MFA delete -----------------------------------------------------------------------------------------------

_MFA_DELETE = "_aws_assets_mfa_delete"  # the attribute of moto's bucket holding its MfaDelete
_MFA_DELETE_ELEMENT = re.compile(r"<MfaDelete>(Enabled|Disabled)</MfaDelete>")


def _teach_mfa_delete() -> None:
    from moto.s3.responses import S3Response

    moto_put, moto_get = S3Response._bucket_response_put, S3Response.get_bucket_versioning
    if getattr(moto_put, _TAUGHT, False):
        return

    def bucket_response_put(response: Any, request: Any, bucket_name: str, querystring: dict[str, Any]) -> Any:
        answer = moto_put(response, request, bucket_name, querystring)
        if "versioning" in querystring and _refusing(response) and request.headers.get("x-amz-mfa"):
            body = response.body.decode("utf-8") if isinstance(response.body, bytes) else str(response.body)
            found = _MFA_DELETE_ELEMENT.search(body)
            if found:
                setattr(response.backend.get_bucket(bucket_name), _MFA_DELETE, found.group(1))
        return answer

    def get_bucket_versioning(response: Any) -> Any:
        mfa_delete = getattr(response.backend.get_bucket(response.bucket_name), _MFA_DELETE, None)
        if mfa_delete is None:
            return moto_get(response)
        from moto.core.responses import ActionResult

        status = response.backend.get_bucket_versioning(response.bucket_name)
        response.data["Action"] = "GetBucketVersioning"
        return response.serialized(ActionResult({"Status": status, "MFADelete": mfa_delete}))

    setattr(bucket_response_put, _TAUGHT, True)
    S3Response._bucket_response_put = bucket_response_put
    S3Response.get_bucket_versioning = get_bucket_versioning
