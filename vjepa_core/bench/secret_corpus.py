"""A corpus of synthetic, format-valid secrets, each planted alone in an ordinary file (issue 14).

Formats follow public rule sets and test data: gitleaks (config/gitleaks.toml and
cmd/generate/config/rules/*.go), betterleaks (its successor's rules), trufflehog's
pkg/detectors/* and detect-secrets' plugins and tests. No value is copied from
them: every value is generated here at run time from `seed`, with the right prefix,
length, alphabet and, where the format has one, checksum:

- GitHub ghp_/gho_/ghs_ and npm npm_ tokens: CRC32 of the 30 random characters,
  base62-encoded in the last 6 (github.blog, "Behind GitHub's new authentication
  token formats", 2021);
- age secret keys: real Bech32 (BIP-173) with the checksum;
- PGP private key blocks: the CRC-24 armor checksum (RFC 4880);
- JWTs: a real HS256 signature;
- RSA/EC/OpenSSH keys: real keys from deterministic randomness when the
  `cryptography` package is present (else a well-formed DER-looking body).

The values are random and never live: they are synthetic by construction.

    corpus(seed=0) -> list[Case(family, filename, text, secret)]
"""

from __future__ import annotations

import base64
import json
import string
import zlib

from vjepa_core.bench.secret_files import (
    PY_HEAD,
    PY_TAIL,
    c_define,
    compose_env,
    compose_map,
    dockerfile_env,
    gha,
    go_const,
    ini_cfg,
    ipynb,
    js_const,
    js_object,
    json_cfg,
    k8s_env,
    makefile,
    php_file,
    properties,
    py_assign,
    py_call,
    readme,
    ruby_init,
    rust_const,
    sh_export,
    sh_lines,
    tf_cfg,
    toml_cfg,
    ts_const,
    web_config,
    yaml_nested,
)
from vjepa_core.bench.secret_formats import (
    ALNUM,
    B32L,
    URLSAFE,
    Case,
    Gen,
    b64url,
    ec_pem,
    jwt_hs256,
    openssh_ed25519,
    pgp_private_block,
    rsa_pem,
)


# --- the families ----------------------------------------------------------------------------
def _cases(g: Gen) -> list[Case]:
    C: list[Case] = []

    def add(family: str, filename: str, text: str, secret: str) -> None:
        assert secret in text or json.dumps(secret)[1:-1] in text, (family, filename)
        C.append(Case(family, filename, text, secret))

    # AWS: access key id + secret access key (the pair is the credential).
    for fname, mk in [
        ("deploy.sh", lambda k, s: sh_lines(f"export AWS_ACCESS_KEY_ID={k}", f"export AWS_SECRET_ACCESS_KEY={s}", "aws s3 sync ./dist s3://static-site")),
        ("src/storage.py", lambda k, s: py_call(f'boto3.client("s3", aws_access_key_id="{k}",\n        aws_secret_access_key="{s}")')),
        ("docker-compose.yml", lambda k, s: compose_env("AWS_ACCESS_KEY_ID", k).replace("    depends_on", f"      - AWS_SECRET_ACCESS_KEY={s}\n    depends_on")),
        ("config/settings.yaml", lambda k, s: yaml_nested("aws", "access_key_id", k).replace("  region:", f"  secret_access_key: {s}\n  region:")),
    ]:
        k = g.r.choice(["AKIA", "AKIA", "ASIA"]) + g.s(string.ascii_uppercase + "234567", 16)
        s = g.s(ALNUM + "+/", 40)
        add("aws-access-key+secret", fname, mk(k, s), k)

    for fam, prefix, files in [
        ("github-pat-classic", "ghp_", [("config.py", py_assign, "GITHUB_TOKEN"), (".github/workflows/release.yml", gha, "GH_TOKEN"), ("scripts/sync.sh", sh_export, "GITHUB_TOKEN")]),
        ("github-oauth-gho", "gho_", [("app.js", js_const, "githubOauthToken"), ("settings.yaml", None, None)]),
        ("github-app-ghs", "ghs_", [("main.go", go_const, "installationToken"), ("Dockerfile", dockerfile_env, "GITHUB_APP_TOKEN")]),
    ]:
        for fname, fn, name in files:
            v = g.crc_b62_token(prefix)
            text = fn(name, v) if fn else yaml_nested("github", "oauth_token", v)
            add(fam, fname, text, v)
    for fname, text_of in [
        ("notebooks/explore.ipynb", lambda v: ipynb(f'from github import Github\ngh = Github("{v}")')),
        ("config/settings.toml", lambda v: toml_cfg("github", "token", v)),
        ("ci/publish.sh", lambda v: sh_export("GH_PAT", v)),
    ]:
        v = "github_pat_11" + g.s(string.ascii_uppercase + string.digits, 20) + "_" + g.s(ALNUM, 59)
        add("github-fine-grained-pat", fname, text_of(v), v)

    # GitLab: classic glpat- (20) and routable glpat- (base64url body . version + crc).
    for fname, text_of, v in [
        ("gitlab-ci-helper.py", lambda v: py_assign("GITLAB_TOKEN", v), "glpat-" + g.s(URLSAFE, 20)),
        ("settings.yaml", lambda v: yaml_nested("gitlab", "private_token", v), "glpat-" + g.s(URLSAFE, 20)),
        ("release.sh", lambda v: sh_lines(f'curl --header "PRIVATE-TOKEN: {v}" https://gitlab.com/api/v4/projects'), "glpat-" + g.s(URLSAFE, 27) + "." + "01." + g.s(string.ascii_lowercase + string.digits, 7)),
    ]:
        add("gitlab-pat", fname, text_of(v), v)

    for fname, fn in [("bot/config.py", lambda v: py_assign("SLACK_BOT_TOKEN", v)), ("slack.properties", lambda v: properties("slack.bot.token", v)), ("k8s/bot.yaml", lambda v: k8s_env("SLACK_BOT_TOKEN", v))]:
        v = f"xoxb-{g.digits(12)}-{g.digits(13)}-{g.s(ALNUM, 24)}"
        add("slack-bot-xoxb", fname, fn(v), v)
    for fname, fn in [("notify.js", lambda v: js_const("slackUserToken", v)), ("tools/export.sh", lambda v: sh_export("SLACK_TOKEN", v))]:
        v = f"xoxp-{g.digits(12)}-{g.digits(12)}-{g.digits(13)}-{g.hexs(32)}"
        add("slack-user-xoxp", fname, fn(v), v)
    for fname, fn in [("socket_mode.py", lambda v: py_assign("SLACK_APP_TOKEN", v)), ("docker-compose.yml", lambda v: compose_env("SLACK_APP_TOKEN", v)), ("app.ts", lambda v: ts_const("appLevelToken", v))]:
        v = f"xapp-1-A{g.s(string.ascii_uppercase + string.digits, 10)}-{g.digits(13)}-{g.hexs(64)}"
        add("slack-app-xapp", fname, fn(v), v)
    for fname, fn in [("alerts.py", lambda v: py_assign("WEBHOOK", v)), ("alertmanager.yml", lambda v: yaml_nested("slack", "api_url", v)), ("notify.sh", lambda v: sh_lines(f"curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"deployed\"}}' {v}"))]:
        v = f"https://hooks.slack.com/services/T{g.s(string.ascii_uppercase + string.digits, 8)}/B{g.s(string.ascii_uppercase + string.digits, 10)}/{g.s(ALNUM, 24)}"
        add("slack-webhook", fname, fn(v), v)

    for fam, prefix, files in [
        ("stripe-sk-live", "sk_live_", [("payments.py", lambda v: py_assign("stripe.api_key", v).replace("import os", "import os\nimport stripe")), ("checkout.js", lambda v: js_const("stripeSecret", v)), ("application.properties", lambda v: properties("stripe.secret-key", v))]),
        ("stripe-sk-test", "sk_test_", [("billing/settings.py", lambda v: py_assign("STRIPE_SECRET_KEY", v)), ("docker-compose.yml", lambda v: compose_map("STRIPE_KEY", v)), ("config/stripe.rb", lambda v: ruby_init("Stripe.api_key", v))]),
        ("stripe-rk-live", "rk_live_", [("reports.go", lambda v: go_const("stripeRestrictedKey", v)), ("settings.yaml", lambda v: yaml_nested("stripe", "restricted_key", v))]),
    ]:
        for fname, fn in files:
            v = prefix + "51" + g.s(ALNUM, g.r.choice([24, 97]))
            add(fam, fname, fn(v), v)

    for fname, fn in [("maps.js", lambda v: js_object("apiKey", v)), ("geocode.py", lambda v: py_call(f'googlemaps.Client(key="{v}")')), ("AndroidManifest.xml", None), ("config.json", lambda v: json_cfg("google_api_key", v))]:
        v = "AIza" + g.s(URLSAFE, 35)
        if fn is None:
            text = ('<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme.maps">\n'
                    '  <application android:label="Maps">\n    <meta-data android:name="com.google.android.geo.API_KEY"\n'
                    f'      android:value="{v}" />\n  </application>\n</manifest>\n')
        else:
            text = fn(v)
        add("google-api-key", fname, text, v)

    def gcp_sa(project: str, email_user: str) -> tuple[dict, str]:
        pem = rsa_pem(g, pkcs8=True)
        d = {
            "type": "service_account",
            "project_id": project,
            "private_key_id": g.hexs(40),
            "private_key": pem,
            "client_email": f"{email_user}@{project}.iam.gserviceaccount.com",
            "client_id": g.digits(21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email_user}%40{project}.iam.gserviceaccount.com",
            "universe_domain": "googleapis.com",
        }
        return d, d["private_key_id"]

    d, _ = gcp_sa("acme-data-" + g.digits(6), "etl-runner")
    add("gcp-service-account", "config/bigquery.json", json.dumps(d, indent=2) + "\n", d["private_key"].splitlines()[1])
    d, _ = gcp_sa("acme-web-" + g.digits(6), "deployer")
    add("gcp-service-account", "gcp_auth.py", PY_HEAD + "\nSERVICE_ACCOUNT_INFO = " + json.dumps(d, indent=4) + "\n" + PY_TAIL, d["private_key"].splitlines()[1])
    d, _ = gcp_sa("acme-ml-" + g.digits(6), "notebook")
    add("gcp-service-account", "train.ipynb", ipynb("from google.oauth2 import service_account\ninfo = " + json.dumps(d)), d["private_key"].splitlines()[1])

    for fname, fn in [("auth_test_helpers.py", lambda v: py_assign("SESSION_JWT", v)), ("api.http", None), ("settings.yaml", lambda v: yaml_nested("auth", "bearer", v))]:
        v = jwt_hs256(g, {"sub": g.digits(8), "name": "svc-reporting", "iat": 1700000000 + g.r.randint(0, 9**7), "exp": 1900000000})
        text = fn(v) if fn else f"### list users\nGET https://api.internal/v1/users\nAuthorization: Bearer {v}\nAccept: application/json\n"
        add("jwt", fname, text, v)

    pem = rsa_pem(g)
    add("private-key-pem", "certs_helper.py", PY_HEAD + f'\nTLS_KEY = """{pem}"""\n' + PY_TAIL, pem.splitlines()[1])
    pem = ec_pem(g)
    add("private-key-pem", "values.yaml", "ingress:\n  enabled: true\ntls:\n  key: |\n" + "".join("    " + l + "\n" for l in pem.splitlines()) + "  cert: from-secret\n", pem.splitlines()[1])
    pem = rsa_pem(g, pkcs8=True)
    add("private-key-pem", "server/tls.go", "package server\n\nvar keyPEM = []byte(`" + pem + "`)\n\nfunc Key() []byte { return keyPEM }\n", pem.splitlines()[1])

    for fname, wrap in [("deploy/ssh_setup.sh", lambda k: sh_lines("mkdir -p ~/.ssh", "cat > ~/.ssh/deploy_key <<'EOF'\n" + k + "EOF", "chmod 600 ~/.ssh/deploy_key")),
                        ("ansible/group_vars/all.yml", lambda k: "deploy_user: ci\ndeploy_key: |\n" + "".join("  " + l + "\n" for l in k.splitlines())),
                        ("provision.py", lambda k: PY_HEAD + f'\nDEPLOY_KEY = """\\\n{k}"""\n' + PY_TAIL)]:
        k = openssh_ed25519(g, "ci@build")
        add("openssh-private-key", fname, wrap(k), k.splitlines()[1])

    for fname, wrap in [("release/signing.sh", lambda k: sh_lines("gpg --batch --import <<'EOF'\n" + k + "EOF", "gpg --list-secret-keys")),
                        ("signing_key.asc.txt", lambda k: "Release signing key (CI only)\n\n" + k)]:
        k = pgp_private_block(g)
        add("pgp-private-key", fname, wrap(k), k.splitlines()[2])

    for fname, fn, legacy in [("llm.py", lambda v: py_call(f'OpenAI(api_key="{v}")').replace("import os", "import os\nfrom openai import OpenAI"), False),
                              ("chat.js", lambda v: js_object("openaiKey", v), False),
                              ("summarize.ipynb", lambda v: ipynb(f'import openai\nopenai.api_key = "{v}"'), True),
                              ("config/llm.toml", lambda v: toml_cfg("openai", "api_key", v), False)]:
        if legacy:
            v = "sk-" + g.s(ALNUM, 20) + "T3BlbkFJ" + g.s(ALNUM, 20)
        else:
            v = "sk-" + g.r.choice(["proj", "svcacct"]) + "-" + g.s(URLSAFE, 74) + "T3BlbkFJ" + g.s(URLSAFE, 74)
        add("openai-api-key", fname, fn(v), v)

    for fname, fn in [("agent.py", lambda v: py_call(f'anthropic.Anthropic(api_key="{v}")')), ("docker-compose.yml", lambda v: compose_map("ANTHROPIC_API_KEY", v)), ("bot.ts", lambda v: ts_const("anthropicKey", v))]:
        v = "sk-ant-api03-" + g.s(URLSAFE, 93) + "AA"
        add("anthropic-api-key", fname, fn(v), v)

    for fname, fn in [("sms.py", lambda v: py_call(f'Client("AC{g.hexs(32)}", "{g.hexs(32)}")').replace("return Client", f'Client  # api key below\n\nTWILIO_API_KEY = "{v}"\n\n\ndef make_client2():\n    return Client')),
                      ("notify.js", lambda v: js_const("twilioApiKey", v)),
                      ("twilio.properties", lambda v: properties("twilio.api.key", v))]:
        v = "SK" + g.hexs(32)
        add("twilio-api-key", fname, fn(v), v)

    for fname, fn in [("mailer.py", lambda v: py_assign("SENDGRID_API_KEY", v)), ("mail.js", lambda v: js_const("sendgridKey", v)), ("appsettings.json", lambda v: json_cfg("SendGridKey", v))]:
        v = "SG." + g.s(URLSAFE, 22) + "." + g.s(URLSAFE, 43)
        add("sendgrid-api-key", fname, fn(v), v)

    for fname, fn in [("vault_client.py", lambda v: py_call(f'hvac.Client(url="https://vault.internal:8200", token="{v}")')), ("deploy.sh", lambda v: sh_export("VAULT_TOKEN", v)), ("vault.tf", lambda v: tf_cfg("vault", "token", v))]:
        v = "hvs.CAESI" + g.s(URLSAFE, 43) + "Gh4KHGh2cy4" + g.s(URLSAFE, 38)
        add("vault-token-hvs", fname, fn(v), v)

    for fname, fn in [("droplets.py", lambda v: py_assign("DO_TOKEN", v)), ("provider.tf", lambda v: tf_cfg("digitalocean", "token", v)), ("Makefile", lambda v: makefile(f"doctl auth init --access-token {v}"))]:
        v = "dop_v1_" + g.hexs(64)
        add("digitalocean-pat", fname, fn(v), v)

    for fname, fn in [("bot.py", lambda v: py_assign("TELEGRAM_BOT_TOKEN", v)), ("docker-compose.yml", lambda v: compose_env("TELEGRAM_TOKEN", v)), ("notify.go", lambda v: go_const("telegramToken", v))]:
        v = g.digits(10) + ":AA" + g.s(URLSAFE, 33)
        add("telegram-bot-token", fname, fn(v), v)

    for fname, fn in [("hooks.py", lambda v: py_assign("DISCORD_WEBHOOK_URL", v)), ("notify.sh", lambda v: sh_lines(f'curl -H "Content-Type: application/json" -d \'{{"content":"build ok"}}\' "{v}"')), ("config.json", lambda v: json_cfg("discordWebhook", v))]:
        v = f"https://discord.com/api/webhooks/{g.digits(18)}/{g.s(ALNUM + '-', 68)}"
        add("discord-webhook", fname, fn(v), v)

    for fname, fn in [("teams_notify.py", lambda v: py_assign("TEAMS_WEBHOOK", v)), ("pipeline.yml", lambda v: gha("TEAMS_WEBHOOK_URL", v)), ("alerts.ps1", lambda v: f'$ErrorActionPreference = "Stop"\n$uri = "{v}"\n$body = @{{ text = "Build finished" }} | ConvertTo-Json\nInvoke-RestMethod -Method Post -Uri $uri -Body $body -ContentType "application/json"\n')]:
        v = f"https://acme{g.digits(3)}.webhook.office.com/webhookb2/{g.uuid()}@{g.uuid()}/IncomingWebhook/{g.hexs(32)}/{g.uuid()}"
        add("teams-webhook", fname, fn(v), v)

    for fname, fn in [("newman.sh", lambda v: sh_export("POSTMAN_API_KEY", v)), ("sync_collections.py", lambda v: py_assign("POSTMAN_KEY", v)), (".github/workflows/api.yml", lambda v: gha("POSTMAN_API_KEY", v))]:
        v = f"PMAK-{g.hexs(24)}-{g.hexs(34)}"
        add("postman-api-key", fname, fn(v), v)

    for fname, fn in [("Dockerfile", lambda v: dockerfile_env("DOPPLER_TOKEN", v)), ("secrets.py", lambda v: py_assign("DOPPLER_TOKEN", v)), ("run.sh", lambda v: sh_lines(f"doppler run --token {v} -- ./server"))]:
        v = "dp.pt." + g.s(ALNUM, 43)
        add("doppler-token", fname, fn(v), v)

    for fname, fn in [("dashboards.py", lambda v: py_assign("GRAFANA_TOKEN", v)), ("grafana.tf", lambda v: tf_cfg("grafana", "auth", v)), ("provisioning.yaml", lambda v: yaml_nested("grafana", "service_account_token", v))]:
        v = "glsa_" + g.s(ALNUM, 32) + "_" + g.hexs(8)
        add("grafana-service-account-glsa", fname, fn(v), v)
    for fname, fn in [("otel.yaml", lambda v: yaml_nested("exporter", "password", v)), ("push_metrics.go", lambda v: go_const("grafanaCloudToken", v))]:
        payload = json.dumps({"o": g.digits(6), "n": "stack-" + g.digits(6) + "-hm-read", "k": g.s(ALNUM, 24), "m": {"r": "prod-eu-west-2"}}, separators=(",", ":"))
        v = "glc_" + base64.b64encode(payload.encode()).decode().rstrip("=")
        add("grafana-cloud-glc", fname, fn(v), v)

    for fname, fn, pre in [("db.py", lambda v: py_assign("PLANETSCALE_TOKEN", v), "pscale_tkn_"), ("database.yml", lambda v: yaml_nested("production", "password", v), "pscale_pw_"), ("docker-compose.yml", lambda v: compose_env("DATABASE_PASSWORD", v), "pscale_pw_")]:
        v = pre + g.s(URLSAFE, 43)
        add("planetscale", fname, fn(v), v)

    for fname, fn in [("backup.sh", lambda v: sh_lines(f'echo "{v}" > /run/age.key', "age -d -i /run/age.key backup.tar.age | tar x")), ("keys.py", lambda v: py_assign("AGE_IDENTITY", v)), ("sops.yaml", lambda v: yaml_nested("sops", "age_key", v))]:
        v = g.age_key()
        add("age-secret-key", fname, fn(v), v)

    for fname, fn, v2 in [("Procfile.sh", lambda v: sh_export("HEROKU_API_KEY", v), True), ("heroku_deploy.py", lambda v: py_assign("HEROKU_API_KEY", v), False), ("app.json", lambda v: json_cfg("HEROKU_API_KEY", v), True)]:
        v = "HRKU-AA" + g.s(URLSAFE, 58) if v2 else g.uuid()
        add("heroku-api-key", fname, fn(v), v)

    for fname, fn in [("mail.py", lambda v: py_assign("MAILGUN_API_KEY", v)), ("mailgun.js", lambda v: js_object("mailgunApiKey", v)), ("settings.yaml", lambda v: yaml_nested("mailgun", "api_key", v))]:
        v = "key-" + g.hexs(32)
        add("mailgun-api-key", fname, fn(v), v)

    for fname, fn in [("ci/docker-login.sh", lambda v: sh_lines(f"echo {v} | docker login -u acmebuild --password-stdin")), ("publish.py", lambda v: py_assign("DOCKERHUB_TOKEN", v)), (".gitlab-ci.yml", lambda v: "stages: [build]\nvariables:\n  DOCKER_DRIVER: overlay2\n  DOCKERHUB_TOKEN: \"" + v + "\"\nbuild:\n  script:\n    - docker build .\n")]:
        v = "dckr_pat_" + g.s(URLSAFE, 27)
        add("docker-hub-pat", fname, fn(v), v)

    for fname, fn in [("train.py", lambda v: py_call(f'login(token="{v}")')), ("inference.ipynb", lambda v: ipynb(f'from huggingface_hub import login\nlogin("{v}")')), ("docker-compose.yml", lambda v: compose_env("HF_TOKEN", v))]:
        v = "hf_" + g.s(string.ascii_letters, 34)
        add("huggingface-token", fname, fn(v), v)

    for fname, fn in [("npmrc.sh", lambda v: sh_lines(f'echo "//registry.npmjs.org/:_authToken={v}" > "$HOME/.npmrc"', "npm publish")), ("publish.js", lambda v: js_const("NPM_TOKEN", v)), (".github/workflows/npm.yml", lambda v: gha("NODE_AUTH_TOKEN", v))]:
        v = g.crc_b62_token("npm_")
        add("npm-token", fname, fn(v), v)

    for fname, fn in [("release.sh", lambda v: sh_lines(f"twine upload -u __token__ -p {v} dist/*")), ("publish.py", lambda v: py_assign("PYPI_TOKEN", v)), ("setup.cfg", lambda v: ini_cfg("upload", "password", v))]:
        mac = b"\x02\x01\x08pypi.org\x02" + bytes([g.r.randint(30, 40)]) + b"\x00\x01" + g.bytes(12) + b"\x00\x02" + g.bytes(100)
        v = "pypi-" + b64url(mac)
        add("pypi-token", fname, fn(v), v)

    for fname, fn, new in [("azure-pipelines.sh", lambda v: sh_lines(f"echo {v} | az devops login --organization https://dev.azure.com/acme-corp"), False),
                           ("ado_client.py", lambda v: py_assign("AZURE_DEVOPS_PAT", v) + '\nORG_URL = "https://dev.azure.com/acme-corp"\n', False),
                           ("NuGet.Config.xml", lambda v: '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSources>\n    <add key="acme" value="https://pkgs.dev.azure.com/acme-corp/_packaging/feed/nuget/v3/index.json" />\n  </packageSources>\n  <packageSourceCredentials>\n    <acme>\n      <add key="Username" value="build" />\n      <add key="ClearTextPassword" value="' + v + '" />\n    </acme>\n  </packageSourceCredentials>\n</configuration>\n', True)]:
        if new:
            v = g.s(ALNUM, 52) + "JQQJ99" + g.s(ALNUM, 1) + g.r.choice("ABC") + g.s(ALNUM, 5) + "AZDO" + g.s(ALNUM, 4)
        else:
            v = g.s(B32L, 52)
        add("azure-devops-pat", fname, fn(v), v)

    for fname, fn in [("storage.py", lambda v: py_assign("AZURE_STORAGE_CONNECTION_STRING", v)), ("appsettings.json", lambda v: json_cfg("StorageConnection", v)), ("web.config", lambda v: web_config("StorageConnectionString", v))]:
        key = base64.b64encode(g.bytes(64)).decode()
        v = f"DefaultEndpointsProtocol=https;AccountName=acmestore{g.digits(4)};AccountKey={key};EndpointSuffix=core.windows.net"
        add("azure-storage-connection-string", fname, fn(v), key)

    for fname, fn, pre in [("shop.py", lambda v: py_assign("SHOPIFY_ACCESS_TOKEN", v), "shpat_"), ("shopify.yml", lambda v: yaml_nested("shopify", "shared_secret", v), "shpss_"), ("sync.js", lambda v: js_const("shopifyToken", v), "shpca_")]:
        v = pre + g.hexs(32)
        add("shopify-token", fname, fn(v), v)

    for fname, fn, kind in [("square_pay.py", lambda v: py_assign("SQUARE_ACCESS_TOKEN", v), "EAAA"), ("square.properties", lambda v: properties("square.access-token", v), "sq0atp-"), ("oauth.js", lambda v: js_const("squareAppSecret", v), "sq0csp-")]:
        v = kind + g.s(URLSAFE, 60 if kind == "EAAA" else (22 if kind == "sq0atp-" else 43))
        add("square-token", fname, fn(v), v)

    for fname, fn in [("jira_sync.py", lambda v: py_assign("ATLASSIAN_API_TOKEN", v)), ("confluence.yaml", lambda v: yaml_nested("confluence", "api_token", v)), ("jira.sh", lambda v: sh_lines(f"curl -u bot@acme.io:{v} https://acme.atlassian.net/rest/api/3/myself"))]:
        body = "ATATT3xFfGF0" + g.s(URLSAFE, 171)
        v = body + "=" + format(zlib.crc32(body.encode()), "08X")
        add("atlassian-api-token", fname, fn(v), v)

    for fname, fn in [("linear.py", lambda v: py_assign("LINEAR_API_KEY", v)), ("issues.ts", lambda v: ts_const("linearKey", v)), ("docker-compose.yml", lambda v: compose_map("LINEAR_API_KEY", v))]:
        v = "lin_api_" + g.s(ALNUM, 40)
        add("linear-api-key", fname, fn(v), v)

    for fname, fn in [("jobs.py", lambda v: py_assign("DATABRICKS_TOKEN", v)), ("databricks.tf", lambda v: tf_cfg("databricks", "token", v)), ("run_job.sh", lambda v: sh_export("DATABRICKS_TOKEN", v))]:
        v = "dapi" + g.hexs(32)
        add("databricks-token", fname, fn(v), v)

    for fname, fn in [("newrelic_alerts.py", lambda v: py_assign("NEW_RELIC_API_KEY", v)), ("newrelic.tf", lambda v: tf_cfg("newrelic", "api_key", v)), ("settings.yaml", lambda v: yaml_nested("newrelic", "user_api_key", v))]:
        v = "NRAK-" + g.s(string.ascii_uppercase + string.digits, 27)
        add("newrelic-user-key", fname, fn(v), v)

    for fname, fn, org in [("sentry_release.sh", lambda v: sh_export("SENTRY_AUTH_TOKEN", v), False), ("sentry.properties", lambda v: "defaults.url=https://sentry.io/\ndefaults.org=acme\ndefaults.project=web\nauth.token=" + v + "\n", True), ("settings.py", lambda v: py_assign("SENTRY_AUTH_TOKEN", v), False)]:
        if org:
            payload = json.dumps({"iat": 1700000000 + g.r.randint(0, 9**6), "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "acme"}, separators=(",", ":"))
            v = "sntrys_" + base64.b64encode(payload.encode()).decode() + "_" + g.s(ALNUM + "+/", 43)
        else:
            v = "sntryu_" + g.hexs(64)
        add("sentry-token", fname, fn(v), v)

    for fname, fn in [("Pulumi.prod.sh", lambda v: sh_export("PULUMI_ACCESS_TOKEN", v)), ("infra.py", lambda v: py_assign("PULUMI_ACCESS_TOKEN", v)), (".github/workflows/infra.yml", lambda v: gha("PULUMI_ACCESS_TOKEN", v))]:
        v = "pul-" + g.hexs(40)
        add("pulumi-token", fname, fn(v), v)

    for fname, fn in [("terraform.rc.sh", lambda v: sh_lines("cat > ~/.terraformrc <<EOF", 'credentials "app.terraform.io" {', f'  token = "{v}"', "}", "EOF")), ("tfc.py", lambda v: py_assign("TFC_TOKEN", v)), ("backend.tf", lambda v: tf_cfg("tfe", "token", v))]:
        v = g.s(ALNUM, 14) + ".atlasv1." + g.s(ALNUM, 67)
        add("terraform-cloud-token", fname, fn(v), v)

    for fname, fn, kind in [("fly_deploy.sh", lambda v: sh_export("FLY_API_TOKEN", v), "FlyV1"), ("machines.py", lambda v: py_assign("FLY_API_TOKEN", v), "fo1"), (".github/workflows/fly.yml", lambda v: gha("FLY_API_TOKEN", v), "fm2")]:
        if kind == "fo1":
            v = "fo1_" + g.s(URLSAFE, 43)
        else:
            v = ("FlyV1 " if kind == "FlyV1" else "") + "fm2_lJPE" + base64.b64encode(g.bytes(420)).decode().rstrip("=")
        add("flyio-token", fname, fn(v), v)

    for fname, fn, kind in [("supabase_admin.py", lambda v: py_assign("SUPABASE_ACCESS_TOKEN", v), "sbp"), ("supabaseClient.js", lambda v: js_const("SUPABASE_SERVICE_ROLE_KEY", v) + "const SUPABASE_URL = 'https://abcdefghijklmnopqrst.supabase.co';\n", "jwt"), ("docker-compose.yml", lambda v: compose_map("SUPABASE_ACCESS_TOKEN", v), "sbp")]:
        if kind == "sbp":
            while True:
                v = "sbp_" + g.hexs(40)
                if sum(c.isdigit() for c in v) >= 2:
                    break
        else:
            v = jwt_hs256(g, {"iss": "supabase", "ref": g.s(string.ascii_lowercase, 20), "role": "service_role", "iat": 1700000000, "exp": 2000000000})
        add("supabase-key", fname, fn(v), v)

    for fname, fn in [("push.py", lambda v: py_assign("FCM_SERVER_KEY", v)), ("firebase-messaging.js", lambda v: js_const("firebaseServerKey", v))]:
        v = "AAAA" + g.s(URLSAFE, 7) + ":APA91b" + g.s(URLSAFE, 134)
        add("firebase", fname, fn(v), v)
    d, _ = gcp_sa("acme-app-" + g.digits(5), "firebase-adminsdk-" + g.s(string.ascii_lowercase + string.digits, 5))
    add("firebase", "firebase_admin.py", PY_HEAD + "\nimport firebase_admin\nCRED = " + json.dumps(d, indent=4) + "\n" + PY_TAIL, d["private_key"].splitlines()[1])

    # Passwords in URLs, including = $ + % in the password.
    for fname, scheme, fn in [
        ("settings.py", "postgresql", lambda u: py_assign("DATABASE_URL", u)),
        ("docker-compose.yml", "mongodb+srv", lambda u: compose_env("MONGO_URL", u)),
        ("application.properties", "redis", lambda u: properties("spring.redis.url", u)),
        ("worker.js", "amqp", lambda u: js_const("brokerUrl", u)),
        ("mirror.sh", "https", lambda u: sh_lines(f"git clone {u}")),
    ]:
        pw = g.password(14, symbols="=$+!")
        pw = pw[:3] + g.r.choice("=$+") + pw[3:7] + g.r.choice(["%2F", "%40", "%25"]) + pw[7:]
        host = {"postgresql": "db.internal:5432/orders", "mongodb+srv": "cluster0.ab1cd.mongodb.net/app", "redis": "cache.internal:6379/0", "amqp": "mq.internal:5672/%2F", "https": "git.internal/acme/app.git"}[scheme]
        user = g.r.choice(["app", "svc_orders", "deploy"])
        u = f"{scheme}://{user}:{pw}@{host}"
        add("password-in-url", fname, fn(u), pw)

    # Generic passwords, each form on its own line of an ordinary file.
    def pw() -> str:
        return g.password(g.r.randint(12, 18))

    for fname in ["wp-config.php", "includes/config.php"]:
        p = pw()
        add("password:php-define", fname, php_file(f"define('DB_PASSWORD', '{p}');"), p)
    for fname, mk in [
        ("conf/server.xml", lambda p: '<?xml version="1.0"?>\n<Server port="8005">\n  <Resource name="jdbc/orders" auth="Container" type="javax.sql.DataSource">\n    <username>orders</username>\n    <password>' + p + "</password>\n  </Resource>\n</Server>\n"),
        ("src/main/resources/datasource.xml", lambda p: '<?xml version="1.0" encoding="UTF-8"?>\n<datasources>\n  <datasource jndi-name="java:/OrdersDS">\n    <connection-url>jdbc:mysql://db.internal:3306/orders</connection-url>\n    <security>\n      <user-name>orders</user-name>\n      <password>' + p + "</password>\n    </security>\n  </datasource>\n</datasources>\n"),
        ("web.config", lambda p: web_config("DbPassword", p)),
    ]:
        p = pw()
        add("password:xml", fname, mk(p), p)
    for fname, mk in [("ftp_upload.py", lambda p: PY_HEAD + f'\nFTP_HOST = "ftp.internal"\nuser = "uploader"\npass_ = \'{p}\'\n' + PY_TAIL),
                      ("mail.ini", lambda p: ini_cfg("smtp", "pass", p)),
                      ("settings.php", lambda p: php_file(f'$pass = "{p}";'))]:
        p = pw()
        add("password:pass-assign", fname, mk(p), p)
    for fname, mk in [("deploy.sh", lambda p: sh_lines(f"./manage.py createsuperuser --username admin --password={p} --noinput")),
                      ("Makefile", lambda p: makefile(f"psql-migrate --user=orders --password={p} --host=db.internal")),
                      ("Dockerfile", lambda p: dockerfile_env("APP_ENV", "production").replace("COPY . .", f"RUN ./bin/setup --password={p}\nCOPY . ."))]:
        p = pw()
        add("password:cli-flag", fname, mk(p), p)
    for fname, mk in [("backup.sh", lambda p: sh_lines(f"mysqldump -h db.internal -u backup -p{p} orders > /backups/orders.sql")),
                      ("docker-compose.yml", lambda p: "services:\n  db:\n    image: mysql:8\n    healthcheck:\n      test: [\"CMD-SHELL\", \"mysql -uroot -p" + p + " -e 'SELECT 1'\"]\n      interval: 10s\n"),
                      ("README.md", lambda p: readme(f"mysql -u admin -p{p} -h 10.0.3.17 reporting"))]:
        p = g.password(14, symbols="#%+-_")
        add("password:mysql-p", fname, mk(p), p)
    for fname, mk in [("config/database.yml", lambda p: "production:\n  adapter: postgresql\n  host: db.internal\n  username: orders\n  password: " + p + "\n  pool: 5\n"),
                      ("settings.yaml", lambda p: yaml_nested("smtp", "password", p)),
                      ("application.yml", lambda p: "spring:\n  datasource:\n    url: jdbc:postgresql://db.internal/orders\n    username: orders\n    password: '" + p + "'\n")]:
        p = pw()
        add("password:yaml", fname, mk(p), p)
    for fname, mk in [("conftest_fixtures.py", lambda p: PY_HEAD + f'\nmock_password = "{p}"\n' + PY_TAIL),
                      ("mocks.js", lambda p: js_const("mockApiToken", p)),
                      ("mock_settings.py", lambda p: py_assign("MOCK_DB_PASSWORD", p))]:
        p = pw() if "Token" not in fname else g.s(ALNUM, 32)
        if fname == "mocks.js":
            p = g.s(ALNUM, 32)
        add("password:mock-name", fname, mk(p), p)
    for fname, mk in [("config.json", lambda p: json_cfg("password", p)), ("db_setup.ipynb", lambda p: ipynb(f'import psycopg2\nconn = psycopg2.connect(host="db.internal", user="analyst", password="{p}")'))]:
        p = pw()
        add("password:json-or-kwarg", fname, mk(p), p)
    for fname, mk in [("appsettings.json", lambda p: json.dumps({"ConnectionStrings": {"Default": f"Server=sql.internal;Database=Orders;User Id=orders;Password={p};"}}, indent=2) + "\n"),
                      ("Program.cs", lambda p: 'using System.Data.SqlClient;\n\nclass Program {\n    static void Main() {\n        var cs = "Server=sql.internal;Database=Orders;User ID=sa;Password=' + p + ';";\n        using var conn = new SqlConnection(cs);\n    }\n}\n')]:
        p = pw()
        add("password:connection-string", fname, mk(p), p)

    # A few extra widely used token formats.
    for fname, fn in [("cf.py", lambda v: py_assign("CLOUDFLARE_API_TOKEN", v)), ("wrangler.sh", lambda v: sh_export("CLOUDFLARE_API_TOKEN", v))]:
        v = g.s(URLSAFE, 40)
        add("cloudflare-api-token", fname, fn(v), v)
    for fname, fn in [("mailchimp.py", lambda v: py_assign("MAILCHIMP_API_KEY", v)), ("newsletter.js", lambda v: js_const("mailchimpKey", v))]:
        v = g.hexs(32) + "-us" + str(g.r.randint(1, 21))
        add("mailchimp-api-key", fname, fn(v), v)
    for fname, fn in [("ai.py", lambda v: py_assign("GEMINI_API_KEY", v)), ("main.rs", lambda v: rust_const("API_KEY", v))]:
        v = "AIza" + g.s(URLSAFE, 35)
        add("google-api-key", fname, fn(v), v)
    for fname, fn in [("okta_sync.py", lambda v: py_assign("OKTA_API_TOKEN", v)), ("okta.h", lambda v: c_define("OKTA_TOKEN", v))]:
        v = "00" + g.s(URLSAFE, 40)
        add("okta-api-token", fname, fn(v), v)
    return C


def corpus(seed: int = 0) -> list[Case]:
    return _cases(Gen(seed))


if __name__ == "__main__":  # python -m vjepa_core.bench.secret_corpus [SEED]: the families and their counts
    import collections
    import sys

    cases = corpus(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    fams = collections.Counter(c.family for c in cases)
    print(f"{len(cases)} cases, {len(fams)} families")
    for f, n in sorted(fams.items()):
        print(f"  {f}: {n}")
