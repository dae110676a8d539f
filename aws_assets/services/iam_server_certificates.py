"""IAM server certificates: the SSL/TLS certificates uploaded to IAM for load balancers and CloudFront, with when
each expires.

Calls per account (IAM is global): iam:ListServerCertificates, paginated (AWS's largest page is 1,000). Its answer is
each certificate's metadata; the certificate body (public, but not needed) and the private key (which no API returns)
are never read. Tags are not collected: they would cost an iam:ListServerCertificateTags per certificate. Collected
with the IAM service, whose `aws_iam` entity has them.
"""

from __future__ import annotations

from typing import Any

from aws_assets.aws.partition import PartitionCollection
from aws_assets.model.entity import EntityType, string, timestamp
from aws_assets.services.common import console_link

PAGE_SIZE = 1000  # the most ListServerCertificates answers per call

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def server_certificate_rows(certificates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "_key": certificate["Arn"],
            "name": certificate["ServerCertificateName"],
            "arn": certificate["Arn"],
            # The console lists server certificates nowhere; the CLI's list-server-certificates is the way to them.
            "webLink": console_link("iam/home#/home"),
            "createdOn": certificate.get("UploadDate"),
            "tags": {},
            "serverCertificateName": certificate["ServerCertificateName"],
            "serverCertificateId": certificate.get("ServerCertificateId"),
            "path": certificate.get("Path"),
            "uploadDate": certificate.get("UploadDate"),
            "expiration": certificate.get("Expiration"),
        }
        for certificate in certificates
    ]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_server_certificates(aws: PartitionCollection) -> list[dict[str, Any]]:
    certificates = aws.paginate("iam", "list_server_certificates", "ServerCertificateMetadataList",
                                PaginationConfig={"PageSize": PAGE_SIZE})
    return server_certificate_rows(certificates)


# ---- declarations ------------------------------------------------------------------------------------------------

SERVER_CERTIFICATE = EntityType(
    type="aws_iam_server_certificate",
    classes=("Certificate",),
    description="SSL/TLS server certificates stored in IAM (for Elastic Load Balancing and CloudFront where ACM is "
    "not used), with when each was uploaded and when it expires.",
    columns=(
        string("serverCertificateName", "Name of the certificate"),
        string("serverCertificateId", "Stable unique ID of the certificate (ASCA...)"),
        string("path", "Path of the certificate, e.g. / or /cloudfront/ for CloudFront's"),
        timestamp("uploadDate", "When the certificate was uploaded"),
        timestamp("expiration", "When the certificate expires (its X.509 notAfter)"),
    ),
    collect=collect_server_certificates,
    console="IAM > server certificates (CLI: aws iam list-server-certificates)",
)
