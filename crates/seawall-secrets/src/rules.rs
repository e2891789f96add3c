//! The builtin secret rules.
//!
//! Each rule has lower-case keywords (the aho-corasick prefilter: a rule's
//! regex only runs on data containing one of its keywords, compared
//! ASCII-case-insensitively) and a regex whose named group `secret` is the
//! secret itself (the whole match when the group is absent). The ids are
//! stable: they appear in reports and in custom rule files (`disable-rules`).

use seawall_types::Severity;

/// Extra validation a rule applies to a candidate secret after the regex
/// matched, to keep false positives out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Regex (plus entropy and placeholder checks) only.
    None,
    /// The first segment must base64url-decode to a JSON object with `alg`.
    Jwt,
    /// The value must base64-decode to printable `user:password`.
    BasicAuthBase64,
    /// Keyword-context assignment: the value must look random (entropy,
    /// mixed character classes, not a variable reference or a path).
    Generic,
    /// A password in a URL: rejects variable references and placeholders.
    UrlPassword,
}

#[derive(Debug)]
pub struct Builtin {
    pub id: &'static str,
    pub category: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    pub regex: &'static str,
    /// Minimum Shannon entropy (bits per byte) of the secret; 0 disables.
    pub min_entropy: f64,
    /// Regex on the normalised path (no leading `/`); the rule runs only on
    /// matching paths.
    pub path: Option<&'static str>,
    pub check: Check,
    /// Context-based rule (no fixed token format): not applied under
    /// library, documentation and test trees (see `LOW_CONFIDENCE_SKIP`).
    pub low_confidence: bool,
}

/// Paths where context-based rules (generic assignments, URL passwords,
/// JWTs) would mostly find protocol examples and test data: installed
/// libraries, vendored code, documentation and tests. Token-format rules
/// (provider prefixes, private keys) still run there.
pub const LOW_CONFIDENCE_SKIP: &str = r"^usr/(?:lib|lib64|libexec|share|include)/|(?:^|/)(?:site-packages|dist-packages|node_modules|vendor|third_party|gems|pkg/mod|registry/src)/|(?:^|/)(?:tests?|testdata|test_data|testing|__tests__|fixtures?|examples?|docs?|samples?|spec)/|(?:_test\.go|_test\.py|\.test\.[jt]sx?|\.spec\.[jt]sx?|\.md|\.markdown|\.rst|\.html?|\.adoc)$|(?:^|/)test_[^/]*\.py$";

/// Builtin patterns are compiled byte-oriented and ASCII-only (`(?-u)`):
/// secrets are ASCII, `\b`/`\s`/`[^...]` then need no Unicode tables (the
/// lazy DFA handles them on any input, including invalid UTF-8, instead of
/// falling back to a slower engine), and case-insensitivity is ASCII.
pub fn ascii(pattern: &str) -> String {
    format!("(?-u){pattern}")
}

use Check as C;
use Severity::{Critical, High, Medium};

const fn r(
    id: &'static str,
    category: &'static str,
    title: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    regex: &'static str,
) -> Builtin {
    Builtin {
        id,
        category,
        title,
        severity,
        keywords,
        regex,
        min_entropy: 0.0,
        path: None,
        check: C::None,
        low_confidence: false,
    }
}

const fn low(mut b: Builtin) -> Builtin {
    b.low_confidence = true;
    b
}

const fn entropy(mut b: Builtin, e: f64) -> Builtin {
    b.min_entropy = e;
    b
}

const fn check(mut b: Builtin, c: Check) -> Builtin {
    b.check = c;
    b
}

const fn path(mut b: Builtin, p: &'static str) -> Builtin {
    b.path = Some(p);
    b
}

// A boundary that is not part of a token: start of data or a non-word byte.
// (`\b` does not work before `-` or `_`-led tokens; these patterns use
// explicit classes where that matters.)

/// Line break inside a PEM body: a real newline or an escaped `\n` (keys
/// embedded in JSON or env strings).
macro_rules! nl {
    () => {
        r"(?:\\r|\\n|\r|\n)"
    };
}

macro_rules! pem_body {
    () => {
        concat!(
            r"(?:\s|\\r|\\n)*(?P<secret>(?:[A-Za-z][A-Za-z-]*:[^\r\n\\]*",
            nl!(),
            r"+)*",
            nl!(),
            r"*[A-Za-z0-9+/=]{40,}(?:",
            nl!(),
            r"+[A-Za-z0-9+/=]{4,})*)"
        )
    };
}

pub static BUILTIN: &[Builtin] = &[
    // ---- cloud providers -------------------------------------------------
    r(
        "aws-access-key-id",
        "AWS",
        "AWS access key ID",
        Critical,
        &["akia", "asia", "abia", "acca", "a3t"],
        r"(?:^|[^A-Za-z0-9/+])(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9/+]|$)",
    ),
    entropy(
        r(
            "aws-secret-access-key",
            "AWS",
            "AWS secret access key",
            Critical,
            &[
                "secret_access_key",
                "secretaccesskey",
                "secret-access-key",
                "aws_secret",
                "aws-secret",
                "awssecret",
            ],
            r#"(?i)(?:aws)?[_.-]?secret[_.-]?(?:access)?[_.-]?key["']?\s{0,4}(?::=|=>|=|:)\s{0,4}["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        ),
        3.5,
    ),
    r(
        "aws-mws-key",
        "AWS",
        "Amazon MWS auth token",
        High,
        &["amzn.mws."],
        r"(?P<secret>amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
    ),
    r(
        "gcp-service-account",
        "GCP",
        "GCP service account key file",
        Critical,
        &["private_key_id"],
        r#"(?s)"type"\s*:\s*"service_account".{0,512}?"private_key_id"\s*:\s*"(?P<secret>[0-9a-f]{40})""#,
    ),
    r(
        "gcp-api-key",
        "GCP",
        "Google API key",
        High,
        &["aiza"],
        r"(?:^|[^A-Za-z0-9_-])(?P<secret>AIza[0-9A-Za-z_-]{35})(?:[^A-Za-z0-9_-]|$)",
    ),
    r(
        "gcp-oauth-client-secret",
        "GCP",
        "Google OAuth client secret",
        High,
        &["gocspx-"],
        r"(?P<secret>GOCSPX-[A-Za-z0-9_-]{28})(?:[^A-Za-z0-9_-]|$)",
    ),
    r(
        "azure-storage-account-key",
        "Azure",
        "Azure storage account key",
        Critical,
        &["accountkey="],
        r"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
    ),
    r(
        "azure-sas-token",
        "Azure",
        "Azure shared access signature",
        High,
        &["sig="],
        r"(?:\?|&|^)sv=20\d\d-\d\d-\d\d&[^\s'\x22<>]{0,512}?sig=(?P<secret>[A-Za-z0-9%/+]{40,}(?:%3D|=){0,2})",
    ),
    r(
        "azure-ad-client-secret",
        "Azure",
        "Azure AD client secret",
        High,
        &["q~"],
        r#"(?:^|[\\'"`\s>=:(,)])(?P<secret>[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"`\s<),])"#,
    ),
    r(
        "alibaba-access-key-id",
        "Alibaba",
        "Alibaba Cloud AccessKey ID",
        High,
        &["ltai"],
        r"(?:^|[^A-Za-z0-9])(?P<secret>LTAI[A-Za-z0-9]{20})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "digitalocean-token",
        "DigitalOcean",
        "DigitalOcean access token",
        High,
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"(?P<secret>do[opr]_v1_[a-f0-9]{64})",
    ),
    // ---- source hosting ---------------------------------------------------
    r(
        "github-pat",
        "GitHub",
        "GitHub personal access token",
        Critical,
        &["ghp_"],
        r"(?P<secret>ghp_[A-Za-z0-9]{36})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "github-oauth-token",
        "GitHub",
        "GitHub OAuth access token",
        Critical,
        &["gho_"],
        r"(?P<secret>gho_[A-Za-z0-9]{36})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "github-app-token",
        "GitHub",
        "GitHub App token",
        Critical,
        &["ghu_", "ghs_"],
        r"(?P<secret>gh[us]_[A-Za-z0-9]{36})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "github-refresh-token",
        "GitHub",
        "GitHub refresh token",
        Critical,
        &["ghr_"],
        r"(?P<secret>ghr_[A-Za-z0-9]{36,76})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "github-fine-grained-pat",
        "GitHub",
        "GitHub fine-grained personal access token",
        Critical,
        &["github_pat_"],
        r"(?P<secret>github_pat_[A-Za-z0-9_]{82})",
    ),
    r(
        "gitlab-pat",
        "GitLab",
        "GitLab personal access token",
        Critical,
        &["glpat-"],
        r"(?P<secret>glpat-[A-Za-z0-9_-]{20,})",
    ),
    r(
        "gitlab-runner-token",
        "GitLab",
        "GitLab runner authentication token",
        High,
        &["glrt-", "glrr-"],
        r"(?P<secret>glr[rt]-[A-Za-z0-9_-]{20,})",
    ),
    r(
        "gitlab-trigger-token",
        "GitLab",
        "GitLab pipeline trigger token",
        High,
        &["glptt-"],
        r"(?P<secret>glptt-[0-9a-f]{40})",
    ),
    r(
        "gitlab-deploy-token",
        "GitLab",
        "GitLab deploy token",
        High,
        &["gldt-"],
        r"(?P<secret>gldt-[A-Za-z0-9_-]{20,})",
    ),
    // ---- chat and messaging ----------------------------------------------
    r(
        "slack-bot-token",
        "Slack",
        "Slack bot token",
        High,
        &["xoxb-"],
        r"(?P<secret>xoxb-[0-9]{10,13}-[0-9]{10,13}-?[A-Za-z0-9]{20,32})",
    ),
    r(
        "slack-user-token",
        "Slack",
        "Slack user token",
        High,
        &["xoxp-", "xoxe-"],
        r"(?P<secret>xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9]{28,34})",
    ),
    r(
        "slack-app-token",
        "Slack",
        "Slack app-level token",
        High,
        &["xapp-"],
        r"(?i)(?P<secret>xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)",
    ),
    r(
        "slack-webhook-url",
        "Slack",
        "Slack incoming webhook URL",
        Medium,
        &["hooks.slack.com"],
        r"hooks\.slack\.com/(?:services|workflows)/(?P<secret>T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{23,24})",
    ),
    r(
        "discord-webhook-url",
        "Discord",
        "Discord webhook URL",
        Medium,
        &["discord.com/api/webhooks", "discordapp.com/api/webhooks"],
        r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<secret>[A-Za-z0-9_-]{60,68})",
    ),
    r(
        "telegram-bot-token",
        "Telegram",
        "Telegram bot token",
        High,
        &[":aa"],
        r"(?:^|[^0-9A-Za-z_-])(?P<secret>[0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
    ),
    r(
        "teams-webhook-url",
        "Microsoft",
        "Microsoft Teams incoming webhook URL",
        Medium,
        &["webhook.office.com"],
        r"webhook\.office\.com/webhookb2/(?P<secret>[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36})",
    ),
    // ---- payments and SaaS APIs -------------------------------------------
    r(
        "stripe-secret-key",
        "Stripe",
        "Stripe secret or restricted key",
        Critical,
        &["sk_live_", "rk_live_", "sk_test_", "rk_test_"],
        r"(?:^|[^A-Za-z0-9])(?P<secret>[rs]k_(?:live|test)_[0-9A-Za-z]{24,99})",
    ),
    r(
        "square-access-token",
        "Square",
        "Square access token or OAuth secret",
        High,
        &["sq0atp-", "sq0csp-"],
        r"(?P<secret>sq0(?:atp-[0-9A-Za-z_-]{22}|csp-[0-9A-Za-z_-]{43}))",
    ),
    r(
        "braintree-access-token",
        "PayPal",
        "PayPal Braintree access token",
        High,
        &["access_token$production$"],
        r"(?P<secret>access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})",
    ),
    r(
        "shopify-token",
        "Shopify",
        "Shopify access token or shared secret",
        High,
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})",
    ),
    r(
        "twilio-api-key",
        "Twilio",
        "Twilio API key",
        High,
        &["sk"],
        r"(?:^|[^A-Za-z0-9])(?P<secret>SK[0-9a-f]{32})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "sendgrid-api-key",
        "SendGrid",
        "SendGrid API key",
        High,
        &["sg."],
        r"(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})",
    ),
    r(
        "mailgun-api-key",
        "Mailgun",
        "Mailgun API key",
        High,
        &["mailgun"],
        r"(?i)mailgun[^\n]{0,40}?(?P<secret>key-[0-9a-f]{32})",
    ),
    r(
        "mailchimp-api-key",
        "Mailchimp",
        "Mailchimp API key",
        High,
        &["-us"],
        r"(?:^|[^A-Za-z0-9])(?P<secret>[0-9a-f]{32}-us[0-9]{1,2})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "openai-api-key",
        "OpenAI",
        "OpenAI API key",
        High,
        &["t3blbkfj"],
        r"(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74})",
    ),
    r(
        "anthropic-api-key",
        "Anthropic",
        "Anthropic API key",
        High,
        &["sk-ant-"],
        r"(?P<secret>sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,100})",
    ),
    r(
        "huggingface-token",
        "HuggingFace",
        "Hugging Face access token",
        High,
        &["hf_"],
        r"(?:^|[^A-Za-z0-9_])(?P<secret>hf_[A-Za-z]{34})(?:[^A-Za-z0-9]|$)",
    ),
    r(
        "newrelic-user-key",
        "NewRelic",
        "New Relic user API key",
        High,
        &["nrak-"],
        r"(?P<secret>NRAK-[A-Z0-9]{27})",
    ),
    r(
        "atlassian-api-token",
        "Atlassian",
        "Atlassian API token",
        High,
        &["atatt3"],
        r"(?P<secret>ATATT3[A-Za-z0-9_=-]{180,200})",
    ),
    r(
        "linear-api-key",
        "Linear",
        "Linear API key",
        High,
        &["lin_api_"],
        r"(?P<secret>lin_api_[A-Za-z0-9]{40})",
    ),
    r(
        "postman-api-key",
        "Postman",
        "Postman API key",
        High,
        &["pmak-"],
        r"(?P<secret>PMAK-[a-f0-9]{24}-[a-f0-9]{34})",
    ),
    r(
        "grafana-token",
        "Grafana",
        "Grafana cloud or service account token",
        High,
        &["glc_", "glsa_"],
        r"(?P<secret>glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
    ),
    r(
        "sentry-token",
        "Sentry",
        "Sentry auth token",
        High,
        &["sntrys_", "sntryu_"],
        r"(?P<secret>sntry[su]_[A-Za-z0-9+/=_]{40,})",
    ),
    r(
        "doppler-token",
        "Doppler",
        "Doppler API token",
        High,
        &["dp.pt."],
        r"(?P<secret>dp\.pt\.[A-Za-z0-9]{43})",
    ),
    r(
        "pulumi-token",
        "Pulumi",
        "Pulumi access token",
        High,
        &["pul-"],
        r"(?:^|[^A-Za-z0-9])(?P<secret>pul-[a-f0-9]{40})(?:[^A-Za-z0-9]|$)",
    ),
    // ---- infrastructure ----------------------------------------------------
    r(
        "hashicorp-vault-token",
        "HashiCorp",
        "HashiCorp Vault token",
        High,
        &["hvs.", "hvb."],
        r"(?:^|[^A-Za-z0-9])(?P<secret>hv[sb]\.[A-Za-z0-9_-]{24,})",
    ),
    r(
        "terraform-cloud-token",
        "HashiCorp",
        "Terraform Cloud API token",
        High,
        &[".atlasv1."],
        r"(?P<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})",
    ),
    r(
        "dockerhub-pat",
        "Docker",
        "Docker Hub personal access token",
        High,
        &["dckr_pat_"],
        r"(?P<secret>dckr_pat_[A-Za-z0-9_-]{27})",
    ),
    check(
        r(
            "docker-config-auth",
            "Docker",
            "Registry credentials in a Docker config (auths)",
            High,
            &["\"auth\""],
            r#""auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/]{6,}={0,2})""#,
        ),
        C::BasicAuthBase64,
    ),
    r(
        "kubeconfig-client-key",
        "Kubernetes",
        "Kubernetes client key in a kubeconfig",
        Critical,
        &["client-key-data"],
        r"client-key-data:\s*(?P<secret>[A-Za-z0-9+/]{60,}={0,2})",
    ),
    // ---- package registries ------------------------------------------------
    r(
        "npm-access-token",
        "npm",
        "npm access token",
        Critical,
        &["npm_"],
        r"(?:^|[^A-Za-z0-9_])(?P<secret>npm_[A-Za-z0-9]{36})(?:[^A-Za-z0-9]|$)",
    ),
    check(
        r(
            "npmrc-auth",
            "npm",
            "Registry credentials in .npmrc (_authToken/_auth/_password)",
            High,
            &["_authtoken", "_auth", "_password"],
            r#"(?im)(?:^|:)(?:_authToken|_auth|_password)\s*=\s*["']?(?P<secret>[^\s"'$]{8,})"#,
        ),
        C::UrlPassword,
    ),
    r(
        "pypi-upload-token",
        "PyPI",
        "PyPI upload token",
        Critical,
        &["pypi-ageichlwas5vcmc"],
        r"(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
    ),
    path(
        check(
            r(
                "pypirc-password",
                "PyPI",
                "Password in .pypirc",
                High,
                &["password"],
                r"(?im)^\s*password\s*[:=]\s*(?P<secret>\S{6,})",
            ),
            C::UrlPassword,
        ),
        r"(?:^|/)\.pypirc$",
    ),
    r(
        "rubygems-api-key",
        "RubyGems",
        "RubyGems API key",
        High,
        &["rubygems_"],
        r"(?P<secret>rubygems_[a-f0-9]{48})",
    ),
    // ---- private keys -----------------------------------------------------
    r(
        "private-key-rsa",
        "AsymmetricPrivateKey",
        "RSA private key",
        Critical,
        &["begin rsa private key"],
        concat!(r"-----BEGIN RSA PRIVATE KEY-----", pem_body!()),
    ),
    r(
        "private-key-ec",
        "AsymmetricPrivateKey",
        "EC private key",
        Critical,
        &["begin ec private key"],
        concat!(r"-----BEGIN EC PRIVATE KEY-----", pem_body!()),
    ),
    r(
        "private-key-dsa",
        "AsymmetricPrivateKey",
        "DSA private key",
        Critical,
        &["begin dsa private key"],
        concat!(r"-----BEGIN DSA PRIVATE KEY-----", pem_body!()),
    ),
    r(
        "private-key-pkcs8",
        "AsymmetricPrivateKey",
        "PKCS#8 private key",
        Critical,
        &["begin private key"],
        concat!(r"-----BEGIN PRIVATE KEY-----", pem_body!()),
    ),
    r(
        "private-key-pkcs8-encrypted",
        "AsymmetricPrivateKey",
        "Encrypted PKCS#8 private key",
        High,
        &["begin encrypted private key"],
        concat!(r"-----BEGIN ENCRYPTED PRIVATE KEY-----", pem_body!()),
    ),
    r(
        "private-key-openssh",
        "AsymmetricPrivateKey",
        "OpenSSH private key",
        Critical,
        &["begin openssh private key"],
        concat!(r"-----BEGIN OPENSSH PRIVATE KEY-----", pem_body!()),
    ),
    r(
        "private-key-pgp",
        "AsymmetricPrivateKey",
        "PGP private key block",
        Critical,
        &["begin pgp private key block"],
        concat!(r"-----BEGIN PGP PRIVATE KEY BLOCK-----", pem_body!()),
    ),
    r(
        "private-key-putty",
        "AsymmetricPrivateKey",
        "PuTTY private key",
        Critical,
        &["putty-user-key-file-"],
        r"PuTTY-User-Key-File-[23]: [^\r\n]*[\s\S]{0,4096}?Private-Lines: \d+\r?\n(?P<secret>[A-Za-z0-9+/=]{40,})",
    ),
    r(
        "age-secret-key",
        "AsymmetricPrivateKey",
        "age secret key",
        Critical,
        &["age-secret-key-1"],
        r"(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})",
    ),
    // ---- tokens and credentials in common formats ------------------------
    low(check(
        r(
            "jwt",
            "JWT",
            "JSON Web Token",
            Medium,
            &["eyj"],
            r"(?:^|[^A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})",
        ),
        C::Jwt,
    )),
    low(check(
        r(
            "database-url-password",
            "Database",
            "Database connection URL with a password",
            High,
            &[
                "postgres",
                "mysql",
                "mariadb",
                "mongodb",
                "redis",
                "amqp",
                "mssql",
                "sqlserver",
                "jdbc:",
            ],
            r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|jdbc:[a-z0-9]+)://[^:/\s@'"<>]{1,64}:(?P<secret>[^@/\s'"<>]{3,128})@[A-Za-z0-9.\[\]_-]+"#,
        ),
        C::UrlPassword,
    )),
    low(check(
        r(
            "url-credentials",
            "Generic",
            "Credentials embedded in an HTTP(S) or FTP URL",
            Medium,
            &["http://", "https://", "ftp://"],
            r#"(?i)\b(?:https?|ftps?)://[A-Za-z0-9._%+-]{1,64}:(?P<secret>[^@/\s'"<>:]{6,128})@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#,
        ),
        C::Generic,
    )),
    path(
        r(
            "shadow-password-hash",
            "Password",
            "Password hash for an account in a shadow file",
            High,
            &[":$"],
            r"(?m)^[a-z_][a-z0-9_.-]*\$?:(?P<secret>\$(?:1|2[aby]?|5|6|y|gy|7)\$[./A-Za-z0-9$]{8,}):",
        ),
        r"(?:^|/)(?:etc/shadow|etc/gshadow|shadow-?)$",
    ),
    path(
        check(
            r(
                "netrc-password",
                "Password",
                "Password in a .netrc file",
                High,
                &["password"],
                r"(?m)\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?P<secret>\S{4,})",
            ),
            C::UrlPassword,
        ),
        r"(?:^|/)[._]netrc$",
    ),
    path(
        r(
            "htpasswd-hash",
            "Password",
            "Password hash in an htpasswd file",
            Medium,
            &["$apr1$", "$2y$", "{sha}"],
            r"(?m)^[^:\s#]+:(?P<secret>\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}|\$2y\$\d\d\$[./A-Za-z0-9]{53}|\{SHA\}[A-Za-z0-9+/]{27}=)",
        ),
        r"(?:^|/)\.?htpasswd[^/]*$",
    ),
    low(check(
        entropy(
            r(
                "generic-secret-assignment",
                "Generic",
                "High-entropy value assigned to a secret-like name",
                Medium,
                &[
                    "secret",
                    "passw",
                    "passphrase",
                    "api_key",
                    "apikey",
                    "api-key",
                    "token",
                    "access_key",
                    "accesskey",
                    "credential",
                    "private_key",
                ],
                r#"(?i)(?P<key>secret|passw(?:or)?d|passphrase|api[_.-]?key|access[_.-]?key|credentials?|private[_.-]?key|token)(?P<suffix>[a-z0-9_.-]{0,20})["']?\s{0,4}(?::=|=>|=|:)\s{0,4}(?P<q>["'])?(?P<secret>[A-Za-z0-9+/=_~!@#%^&*.-]{12,128})(?:["'\s,;]|$)"#,
            ),
            3.5,
        ),
        C::Generic,
    )),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_unique_and_at_least_forty_rules() {
        let ids: HashSet<_> = BUILTIN.iter().map(|b| b.id).collect();
        assert_eq!(ids.len(), BUILTIN.len());
        assert!(BUILTIN.len() >= 40, "{} rules", BUILTIN.len());
    }

    #[test]
    fn keywords_are_lower_case_and_present() {
        for b in BUILTIN {
            assert!(!b.keywords.is_empty(), "{} has no keywords", b.id);
            for k in b.keywords {
                assert_eq!(*k, k.to_ascii_lowercase(), "{} keyword {k}", b.id);
            }
        }
    }

    #[test]
    fn regexes_compile() {
        for b in BUILTIN {
            regex::bytes::Regex::new(&ascii(b.regex)).unwrap_or_else(|e| panic!("{}: {e}", b.id));
        }
    }
}
