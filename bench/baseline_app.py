"""The cold-import baseline: a bare Chalice app that imports boto3 and creates one client."""

import boto3
from chalice import Chalice

app = Chalice(app_name="baseline")
dynamodb = boto3.client("dynamodb", region_name="cn-north-1")
