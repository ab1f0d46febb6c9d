#!/bin/sh
# Run once per `docker compose up` by the minio-init service (image minio/mc), idempotent:
#   1. the archive bucket, created WITH Object Lock (MinIO cannot add it later; sohoa refuses a bucket without it:
#      lock_unavailable). sohoa would create it so on its first write too; doing it here makes it explicit.
#   2. a policy with only what sohoa needs, and sohoa's own access key under it (never the root account).
# Credentials come from the environment only: MC_HOST_minio (the root account, set by docker-compose.yml) and
# SOHOA_S3_ACCESS_KEY / SOHOA_S3_SECRET_KEY; the secret key reaches `mc admin user add` on its standard input.
set -eu

bucket="${SOHOA_STORE_URL#s3://}"
bucket="${bucket%%/*}"

mc mb --ignore-existing --with-lock "minio/${bucket}"

policy=/tmp/sohoa-policy.json
cat > "$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads",
        "s3:GetBucketVersioning", "s3:PutBucketVersioning", "s3:GetBucketObjectLockConfiguration"
      ],
      "Resource": ["arn:aws:s3:::${bucket}"]
    },
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
        "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
        "s3:PutObjectRetention", "s3:GetObjectRetention", "s3:PutObjectLegalHold", "s3:GetObjectLegalHold"
      ],
      "Resource": ["arn:aws:s3:::${bucket}/*"]
    }
  ]
}
JSON
mc admin policy create minio sohoa "$policy"

printf '%s\n' "$SOHOA_S3_SECRET_KEY" | mc admin user add minio "$SOHOA_S3_ACCESS_KEY"
# Attaching a policy the user already has is an error for mc; the state wanted is reached either way.
mc admin policy attach minio sohoa --user "$SOHOA_S3_ACCESS_KEY" 2>/dev/null || true
mc admin user info minio "$SOHOA_S3_ACCESS_KEY" | grep -q sohoa
echo "bucket ${bucket}: Object Lock on; access key for sohoa ready"
