"""Ordinary files to plant a secret in: Python, YAML, shell, JS/TS, compose, notebooks, properties,
web.config, Go, Dockerfiles, JSON, TOML, Actions, k8s, Ruby, PHP, Java, INI, Terraform, Make, C, Rust."""

from __future__ import annotations

import json

PY_HEAD = '''"""Service configuration."""
import logging
import os

log = logging.getLogger(__name__)

DEBUG = os.environ.get("DEBUG", "0") == "1"
TIMEOUT_SECONDS = 30
'''

PY_TAIL = '''

def client_settings():
    """Settings passed to the HTTP client."""
    return {"timeout": TIMEOUT_SECONDS, "retries": 3, "debug": DEBUG}
'''


def py_assign(name: str, value: str) -> str:
    return PY_HEAD + f'{name} = "{value}"\n' + PY_TAIL


def py_call(call: str) -> str:
    return PY_HEAD + "\n\ndef make_client():\n    return " + call + "\n" + PY_TAIL


def yaml_nested(section: str, key: str, value: str, quote: bool = False) -> str:
    v = f'"{value}"' if quote else value
    return (
        "app:\n  name: billing-service\n  port: 8080\n  log_level: info\n"
        f"{section}:\n  enabled: true\n  {key}: {v}\n  region: eu-west-1\n"
        "features:\n  - invoices\n  - reports\n"
    )


def sh_export(name: str, value: str, quote: bool = True) -> str:
    v = f'"{value}"' if quote else value
    return (
        "#!/usr/bin/env bash\nset -euo pipefail\n\n"
        'APP_DIR="$(cd "$(dirname "$0")" && pwd)"\n'
        f"export {name}={v}\n\n"
        'echo "deploying from $APP_DIR"\n'
        "docker build -t registry.internal/app:latest .\n"
        "docker push registry.internal/app:latest\n"
    )


def sh_lines(*lines: str) -> str:
    return "#!/bin/sh\nset -e\n\n" + "\n".join(lines) + '\n\necho "done"\n'


def js_const(name: str, value: str) -> str:
    return (
        "'use strict';\n\nconst express = require('express');\nconst app = express();\n\n"
        f"const {name} = '{value}';\n\n"
        "app.get('/health', (req, res) => res.json({ ok: true }));\n\n"
        "app.listen(process.env.PORT || 3000, () => console.log('listening'));\n"
    )


def js_object(key: str, value: str) -> str:
    return (
        "import { createClient } from './client.js';\n\nexport const config = {\n"
        "  baseUrl: 'https://api.internal',\n"
        f"  {key}: '{value}',\n"
        "  retries: 3,\n};\n\nexport default createClient(config);\n"
    )


def ts_const(name: str, value: str) -> str:
    return (
        "import axios from 'axios';\n\n"
        f"export const {name}: string = \"{value}\";\n\n"
        "export async function fetchUsers(): Promise<unknown[]> {\n"
        "  const res = await axios.get('/api/users');\n  return res.data;\n}\n"
    )


def compose_env(name: str, value: str) -> str:
    return (
        "version: '3.8'\nservices:\n  web:\n    image: nginx:1.25\n    ports:\n      - \"8080:80\"\n"
        "  worker:\n    build: .\n    environment:\n      - LOG_LEVEL=info\n"
        f"      - {name}={value}\n"
        "    depends_on:\n      - web\n"
    )


def compose_map(name: str, value: str) -> str:
    return (
        "services:\n  api:\n    image: app/api:2.1\n    restart: unless-stopped\n    environment:\n"
        f"      {name}: \"{value}\"\n      WORKERS: \"4\"\n"
    )


def ipynb(code: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Data exploration\n", "Load the events table."]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": [line + "\n" for line in ["import pandas as pd", *code.split("\n")]],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [],
            "source": ["df = pd.read_csv('events.csv')\n", "df.head()"],
        },
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


def properties(key: str, value: str) -> str:
    return (
        "spring.application.name=orders\nserver.port=8081\n"
        "spring.datasource.url=jdbc:postgresql://db.internal:5432/orders\n"
        f"{key}={value}\n"
        "logging.level.root=INFO\n"
    )


def web_config(key: str, value: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>\n'
        '    <add key="Environment" value="Production" />\n'
        f'    <add key="{key}" value="{value}" />\n'
        "  </appSettings>\n  <system.web>\n    <compilation debug=\"false\" targetFramework=\"4.8\" />\n"
        "  </system.web>\n</configuration>\n"
    )


def go_const(name: str, value: str) -> str:
    return (
        "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\n"
        f"const {name} = \"{value}\"\n\n"
        "func main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {\n"
        "\t\tfmt.Fprintln(w, \"ok\")\n\t})\n\thttp.ListenAndServe(\":8080\", nil)\n}\n"
    )


def dockerfile_env(name: str, value: str) -> str:
    return (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        f"ENV {name}={value}\n"
        "COPY . .\nCMD [\"gunicorn\", \"app:app\", \"-b\", \"0.0.0.0:8000\"]\n"
    )


def json_cfg(key: str, value: str) -> str:
    return json.dumps({"service": "ingest", "port": 9000, "upstream": {"host": "api.internal", key: value}}, indent=2) + "\n"


def toml_cfg(section: str, key: str, value: str) -> str:
    return (
        "[server]\nhost = \"0.0.0.0\"\nport = 8000\n\n"
        f"[{section}]\n{key} = \"{value}\"\ntimeout = 10\n"
    )


def gha(name: str, value: str) -> str:
    return (
        "name: ci\non:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        f"    env:\n      {name}: {value}\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
    )


def k8s_env(name: str, value: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n          image: app/api:1.4\n"
        f"          env:\n            - name: {name}\n              value: \"{value}\"\n"
    )


def ruby_init(name: str, value: str) -> str:
    return (
        "# frozen_string_literal: true\n\nRails.application.configure do\n"
        "  config.cache_store = :memory_store\nend\n\n"
        f"{name} = '{value}'\n"
    )


def php_file(line: str) -> str:
    return (
        "<?php\n/** Application settings. */\n\ndefine('APP_ENV', 'production');\n"
        f"{line}\n"
        "$table_prefix = 'wp_';\n\nif (!defined('ABSPATH')) {\n    define('ABSPATH', __DIR__ . '/');\n}\n"
    )


def java_const(name: str, value: str) -> str:
    return (
        "package com.acme.billing;\n\npublic final class Settings {\n"
        "    public static final int TIMEOUT = 30;\n"
        f"    private static final String {name} = \"{value}\";\n\n"
        "    private Settings() {}\n}\n"
    )


def ini_cfg(section: str, key: str, value: str) -> str:
    return f"[general]\nname = reporting\nworkers = 4\n\n[{section}]\n{key} = {value}\nretries = 2\n"


def tf_cfg(block: str, key: str, value: str) -> str:
    return (
        'terraform {\n  required_version = ">= 1.5"\n}\n\n'
        f'provider "{block}" {{\n  {key} = "{value}"\n}}\n\n'
        'resource "null_resource" "noop" {}\n'
    )


def makefile(line: str) -> str:
    return ".PHONY: build deploy\n\nbuild:\n\tgo build ./...\n\ndeploy: build\n\t" + line + "\n"


def readme(block: str) -> str:
    return "# Billing API\n\nQuick start:\n\n```bash\n" + block + "\n```\n\nSee docs/ for more.\n"


def c_define(name: str, value: str) -> str:
    return f'#include <stdio.h>\n\n#define {name} "{value}"\n\nint main(void) {{\n    puts("ok");\n    return 0;\n}}\n'


def rust_const(name: str, value: str) -> str:
    return f'use std::env;\n\nconst {name}: &str = "{value}";\n\nfn main() {{\n    let port = env::var("PORT").unwrap_or_default();\n    println!("{{}}", port);\n}}\n'
