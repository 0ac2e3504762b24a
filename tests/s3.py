"""Helpers for the S3 tests, run against a local S3-compatible server
(moto_server) whose endpoint is in AWS_ENDPOINT_URL.

usage: python3 tests/s3.py make-bucket BUCKET
       python3 tests/s3.py upload LOCAL_DIR BUCKET PREFIX
       python3 tests/s3.py download BUCKET PREFIX LOCAL_DIR
       python3 tests/s3.py list BUCKET PREFIX
"""
import os
import sys

import boto3

s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"))
command = sys.argv[1]
if command == "make-bucket":
    s3.create_bucket(Bucket=sys.argv[2])
elif command == "upload":
    local, bucket, prefix = sys.argv[2:5]
    for folder, _, files in os.walk(local):
        for name in files:
            path = os.path.join(folder, name)
            s3.upload_file(path, bucket, f"{prefix}/{os.path.relpath(path, local)}")
elif command in ("download", "list"):
    bucket, prefix = sys.argv[2:4]
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/") for o in page.get("Contents", [])]
    for key in keys:
        if command == "list":
            print(key)
        else:
            path = os.path.join(sys.argv[4], os.path.relpath(key, prefix))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, key, path)
