"""IAM server certificates: prod keeps the certificate its old Classic Load Balancer served, expired a month ago, next
to the current one (valid for most of a year); shared has CloudFront's (path ``/cloudfront/``), valid. dev has none.
The certificates are self-signed, made when the estate is seeded, so their expirations are relative to then.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from aws_assets.sim.accounts import DEV, PROD, SHARED
from aws_assets.sim.seeder import AccountContext, Seeder

VALIDITY = timedelta(days=365)

# account -> (name suffix, path, host name, expires in) of each certificate
CERTIFICATES: Mapping[str, tuple[tuple[str, str, str, timedelta], ...]] = {
    PROD: (("legacy-elb", "/", "www.example.com", timedelta(days=-30)),
           ("www", "/", "www.example.com", timedelta(days=300))),
    DEV: (),
    SHARED: (("cdn", "/cloudfront/", "cdn.example.com", timedelta(days=200)),),
}


def self_signed(host: str, expires_in: timedelta) -> dict[str, str]:
    """A certificate for `host` and its private key, PEM-encoded as UploadServerCertificate takes them."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    expires = datetime.now(UTC).replace(microsecond=0) + expires_in
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(expires - VALIDITY)
                   .not_valid_after(expires).sign(key, hashes.SHA256()))
    return {
        "CertificateBody": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "PrivateKey": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode(),
    }


def _seed(account: AccountContext) -> None:
    iam = account.clients("iam")
    for suffix, path, host, expires_in in CERTIFICATES[account.account_id]:
        iam.upload_server_certificate(ServerCertificateName=f"{account.name}-{suffix}", Path=path,
                                      **self_signed(host, expires_in))


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {"aws_iam_server_certificate": len(CERTIFICATES[account_id])}


SEEDER = Seeder(seed=_seed, counts=_counts)
