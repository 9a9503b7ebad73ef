"""Held-out secrets: other phrasings of the corpus' families, written after our rule file and never
used to tune it (the honest check of those rules)."""

from __future__ import annotations

import json
import string

from vjepa_core.bench.secret_files import (
    dockerfile_env,
    gha,
    makefile,
    php_file,
    properties,
    py_assign,
    ruby_init,
    sh_export,
    sh_lines,
    yaml_nested,
)
from vjepa_core.bench.secret_formats import (
    ALNUM,
    B32L,
    URLSAFE,
    Case,
    Gen,
    ec_pem,
    rsa_pem,
)


# --- held-out cases: written after the rules of extra_rules.py, never used to tune them -------
def holdout(seed: int = 100) -> list[Case]:
    """Other phrasings of the same families, to check that rules were not fitted to corpus()."""
    g = Gen(seed)
    C: list[Case] = []

    def add(family: str, filename: str, text: str, secret: str) -> None:
        assert secret in text or json.dumps(secret)[1:-1] in text, (family, filename)
        C.append(Case(family, filename, text, secret))

    def pw() -> str:
        return g.password(g.r.randint(12, 18))

    p = pw(); add("password:php-array", "config/database.php", "<?php\n\nreturn [\n    'mysql' => [\n        'host' => 'db.internal',\n        'username' => 'orders',\n        'password' => '" + p + "',\n    ],\n];\n", p)
    p = pw(); add("password:php-var", "inc/db.php", php_file(f'$db_password = "{p}";'), p)
    p = pw(); add("password:xml", "Properties/PublishProfiles/prod.pubxml", '<?xml version="1.0" encoding="utf-8"?>\n<Project>\n  <PropertyGroup>\n    <UserName>$deploy</UserName>\n    <Password>' + p + "</Password>\n  </PropertyGroup>\n</Project>\n", p)
    p = pw(); add("password:xml", "applicationContext.xml", '<beans>\n  <bean id="ds" class="org.apache.commons.dbcp2.BasicDataSource">\n    <property name="username" value="orders"/>\n    <property name="password" value="' + p + '"/>\n  </bean>\n</beans>\n', p)
    p = pw(); add("password:cli-env", "migrate.sh", sh_lines(f"PGPASSWORD='{p}' psql -h db.internal -U orders -f schema.sql"), p)
    p = pw(); add("password:cli-flag", "jump.sh", sh_lines(f"sshpass -p '{p}' ssh deploy@bastion.internal uptime"), p)
    p = pw(); add("password:cli-flag", "cache_flush.sh", sh_lines(f"redis-cli -h cache.internal -a {p} FLUSHALL"), p)
    p = g.password(14, symbols="#%+-_"); add("password:mysql-p", "Jenkinsfile", "pipeline {\n  agent any\n  stages {\n    stage('backup') {\n      steps {\n        sh 'mysqldump --user=backup --password=" + p + " orders > dump.sql'\n      }\n    }\n  }\n}\n", p)
    p = pw(); add("password:yaml", "group_vars/db.yml", f"db_host: db.internal\ndb_user: orders\ndb_pass: {p}\n", p)
    p = pw(); add("password:properties", "src/main/resources/application-prod.properties", properties("spring.datasource.password", p), p)
    p = pw(); add("password:shell-var", "env.sh", sh_export("DB_PASS", p), p)
    p = pw(); add("password:go-struct", "db.go", 'package db\n\nimport "github.com/go-sql-driver/mysql"\n\nvar cfg = mysql.Config{\n\tUser:   "orders",\n\tPasswd: "' + p + '",\n\tNet:    "tcp",\n\tAddr:   "db.internal:3306",\n}\n', p)
    p = pw(); add("password:java-call", "Db.java", 'import java.sql.*;\n\nclass Db {\n    static Connection open() throws SQLException {\n        return DriverManager.getConnection("jdbc:postgresql://db.internal/orders", "orders", "' + p + '");\n    }\n}\n', p)
    p = pw(); add("password:csharp-call", "Mailer.cs", 'using System.Net;\n\nclass Mailer {\n    static ICredentialsByHost Creds() => new NetworkCredential("noreply@acme.io", "' + p + '");\n}\n', p)
    pw_ = g.password(14, symbols="=$+!") + "%40" + g.s(ALNUM, 3)
    add("password-in-url", "celeryconfig.py", py_assign("broker_url", f"redis://:{pw_}@cache.internal:6379/1"), pw_)
    pw_ = g.password(12, symbols="$+=") + "%25"
    add("password-in-url", "values.yaml", f"externalDatabase:\n  url: postgres://orders:{pw_}@db.internal/orders\n", pw_)
    v = g.crc_b62_token("ghp_"); add("github-pat-classic", "sync_repo.sh", sh_lines(f"git remote set-url origin https://x-access-token:{v}@github.com/acme/app.git"), v)
    v = g.crc_b62_token("ghs_"); add("github-app-ghs", "ci.json", json.dumps({"steps": [{"run": "gh api /repos", "env": {"GH_TOKEN": v}}]}, indent=2), v)
    v = f"xoxb-{g.digits(12)}-{g.digits(13)}-{g.s(ALNUM, 24)}"; add("slack-bot-xoxb", "slack.json", json.dumps({"bot": {"token": v, "channel": "#ops"}}, indent=2), v)
    v = "sk_live_51" + g.s(ALNUM, 97); add("stripe-sk-live", "payments.rb", ruby_init("STRIPE_KEY", v), v)
    v = f"https://discord.com/api/webhooks/{g.digits(18)}/{g.s(ALNUM + '-', 68)}"; add("discord-webhook", "alerting.yaml", yaml_nested("discord", "webhook_url", v), v)
    v = "hf_" + g.s(string.ascii_letters, 34); add("huggingface-token", "setup_models.sh", sh_lines(f"huggingface-cli login --token {v}"), v)
    v = g.crc_b62_token("npm_"); add("npm-token", "Dockerfile", dockerfile_env("NODE_ENV", "production").replace("COPY . .", f'RUN echo "//registry.npmjs.org/:_authToken={v}" > .npmrc\nCOPY . .'), v)
    v = g.age_key(); add("age-secret-key", "Makefile", makefile(f"echo {v} | age -d -i - secrets.age > secrets.yaml"), v)
    k = "AKIA" + g.s(string.ascii_uppercase + "234567", 16); s = g.s(ALNUM + "+/", 40)
    add("aws-access-key+secret", "aws.properties", properties("aws.accessKeyId", k) + f"aws.secretKey={s}\n", k)
    d = {"type": "service_account", "project_id": "acme-" + g.digits(6), "private_key_id": g.hexs(40), "private_key": rsa_pem(g, pkcs8=True),
         "client_email": "ci@acme-x.iam.gserviceaccount.com", "client_id": g.digits(21), "auth_uri": "https://accounts.google.com/o/oauth2/auth",
         "token_uri": "https://oauth2.googleapis.com/token", "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs"}
    add("gcp-service-account", "k8s/gcp-secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gcp\nstringData:\n  key.json: |\n" + "".join("    " + l + "\n" for l in json.dumps(d, indent=2).splitlines()), d["private_key"].splitlines()[1])
    pem = ec_pem(g); add("private-key-pem", "keys.json", json.dumps({"signing_key": pem}, indent=2) + "\n", pem.splitlines()[1])
    v = "dop_v1_" + g.hexs(64); add("digitalocean-pat", "do.yml", gha("DIGITALOCEAN_ACCESS_TOKEN", v), v)
    v = "glpat-" + g.s(URLSAFE, 20); add("gitlab-pat", "renovate.json", json.dumps({"platform": "gitlab", "token": v}, indent=2), v)
    v = "AAAA" + g.s(URLSAFE, 7) + ":APA91b" + g.s(URLSAFE, 134); add("firebase", "fcm.yaml", yaml_nested("fcm", "server_key", v), v)
    v = g.s(B32L, 52); add("azure-devops-pat", "nuget.sh", sh_lines(f"dotnet nuget add source https://pkgs.dev.azure.com/acme/_packaging/feed/nuget/v3/index.json -u build -p {v} --store-password-in-clear-text"), v)
    return C
