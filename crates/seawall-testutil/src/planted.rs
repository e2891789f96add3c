//! Planted secrets for tests: one realistic sample per builtin secret rule
//! kind of seawall-secrets, built at run time from pieces and a fixed
//! pseudo-random generator, so the repository holds no literal secret that
//! would trip a scanner while each value has the real format.
//!
//! Shared by the secrets crate's own tests and the image-level tests that
//! plant the same files in a real image.

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick(&mut self, alphabet: &str, n: usize) -> String {
        let a: Vec<char> = alphabet.chars().collect();
        (0..n)
            .map(|_| a[(self.next() % a.len() as u64) as usize])
            .collect()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";
const HEX: &str = "0123456789abcdef";

fn alnum() -> String {
    format!("{UPPER}{LOWER}{DIGITS}")
}
fn b64chars() -> String {
    format!("{}+/", alnum())
}
fn urlsafe() -> String {
    format!("{}_-", alnum())
}

fn b64(data: &[u8], url: bool) -> String {
    let table: Vec<char> = if url { urlsafe() } else { b64chars() }.chars().collect();
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(table[((n >> (18 - 6 * i)) & 63) as usize]);
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

fn uuid(r: &mut Rng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        r.pick(HEX, 8),
        r.pick(HEX, 4),
        r.pick(HEX, 4),
        r.pick(HEX, 4),
        r.pick(HEX, 12)
    )
}

fn pem(label: &str, r: &mut Rng, headers: &str) -> (String, String) {
    let lines: Vec<String> = (0..6).map(|_| b64(&r.bytes(48), false)).collect();
    let body = lines.join("\n");
    let text = format!("-----BEGIN {label}-----\n{headers}{body}\n-----END {label}-----\n");
    (text, lines[0].clone())
}

/// Planted samples: (rule id, file path in the image without a leading `/`,
/// file content, the secret value or a part of it that must never be
/// printed).
pub fn corpus() -> Vec<(&'static str, String, String, String)> {
    let mut r = Rng(0x5eed_5eed_1234_5678);
    let an = alnum();
    let mut v: Vec<(&'static str, String, String, String)> = Vec::new();
    let mut add = |id: &'static str, path: &str, before: &str, secret: String, after: &str| {
        let content = format!("# planted for {id}\n{before}{secret}{after}\n# end\n");
        v.push((id, path.to_string(), content, secret));
    };

    add(
        "aws-access-key-id",
        "app/.aws/credentials",
        "aws_access_key_id = ",
        format!(
            "{}{}{}",
            "AK",
            "IA",
            r.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        ),
        "",
    );
    add(
        "aws-secret-access-key",
        "app/.aws/config",
        "aws_secret_access_key = ",
        r.pick(&b64chars(), 40),
        "",
    );
    add(
        "aws-mws-key",
        "app/mws.conf",
        "mws = ",
        format!("{}{}", "amzn.mws.", uuid(&mut r)),
        "",
    );
    add(
        "gcp-api-key",
        "app/maps.js",
        "const key = \"",
        format!("{}{}{}", "AI", "za", r.pick(&urlsafe(), 35)),
        "\";",
    );
    add(
        "gcp-oauth-client-secret",
        "app/oauth.json",
        "{\"client_secret\": \"",
        format!("{}{}", "GOCSPX-", r.pick(&urlsafe(), 28)),
        "\"}",
    );
    add(
        "azure-storage-account-key",
        "app/appsettings.json",
        "\"conn\": \"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=",
        format!("{}==", r.pick(&b64chars(), 86)),
        ";EndpointSuffix=core.windows.net\"",
    );
    add("azure-sas-token", "app/blob.txt", "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&spr=https&sig=", format!("{}%3D", r.pick(&an, 43)), "");
    add(
        "azure-ad-client-secret",
        "app/azure.env",
        "AZURE_CLIENT_SECRET=\"",
        format!(
            "{}{}{}{}",
            r.pick(&an, 3),
            r.pick(DIGITS, 1),
            "Q~",
            r.pick(&an, 34)
        ),
        "\"",
    );
    add(
        "alibaba-access-key-id",
        "app/aliyun.ini",
        "access_key_id = ",
        format!("{}{}{}", "LT", "AI", r.pick(&an, 20)),
        "",
    );
    add(
        "digitalocean-token",
        "app/do.env",
        "DO_TOKEN=",
        format!("{}{}", "dop_v1_", r.pick(HEX, 64)),
        "",
    );
    add(
        "github-pat",
        "app/gh.txt",
        "token: ",
        format!("{}{}", "ghp_", r.pick(&an, 36)),
        "",
    );
    add(
        "github-oauth-token",
        "app/gh-oauth.txt",
        "oauth: ",
        format!("{}{}", "gho_", r.pick(&an, 36)),
        "",
    );
    add(
        "github-app-token",
        "app/gh-app.txt",
        "app: ",
        format!("{}{}", "ghs_", r.pick(&an, 36)),
        "",
    );
    add(
        "github-refresh-token",
        "app/gh-refresh.txt",
        "refresh: ",
        format!("{}{}", "ghr_", r.pick(&an, 76)),
        "",
    );
    add(
        "github-fine-grained-pat",
        "app/gh-fg.txt",
        "pat: ",
        format!("{}{}_{}", "github_", "pat", r.pick(&format!("{an}_"), 82)),
        "",
    );
    add(
        "gitlab-pat",
        "app/gl.txt",
        "GL=",
        format!("{}{}", "glpat-", r.pick(&urlsafe(), 20)),
        "",
    );
    add(
        "gitlab-runner-token",
        "etc/gitlab-runner/config.toml",
        "  token = \"",
        format!("{}{}", "glrt-", r.pick(&urlsafe(), 24)),
        "\"",
    );
    add(
        "gitlab-trigger-token",
        "app/trigger.sh",
        "curl -F token=",
        format!("{}{}", "glptt-", r.pick(HEX, 40)),
        " https://gitlab/api",
    );
    add(
        "gitlab-deploy-token",
        "app/deploy.txt",
        "deploy ",
        format!("{}{}", "gldt-", r.pick(&urlsafe(), 20)),
        "",
    );
    add(
        "slack-bot-token",
        "app/slack.py",
        "SLACK = '",
        format!(
            "{}{}-{}-{}",
            "xox",
            "b-".to_string() + &r.pick(DIGITS, 11),
            r.pick(DIGITS, 12),
            r.pick(&an, 24)
        ),
        "'",
    );
    add(
        "slack-user-token",
        "app/slack-user.py",
        "U = '",
        format!(
            "{}{}-{}-{}-{}",
            "xox",
            "p-".to_string() + &r.pick(DIGITS, 11),
            r.pick(DIGITS, 11),
            r.pick(DIGITS, 12),
            r.pick(&an, 32)
        ),
        "'",
    );
    add(
        "slack-app-token",
        "app/slack-app.py",
        "A = '",
        format!(
            "{}{}-{}-{}",
            "xapp-1-A",
            r.pick("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 10),
            r.pick(DIGITS, 13),
            r.pick(HEX, 64)
        ),
        "'",
    );
    add(
        "slack-webhook-url",
        "app/notify.sh",
        "curl -X POST https://hooks.slack.com/services/",
        format!(
            "T{}/B{}/{}",
            r.pick("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 8),
            r.pick("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 10),
            r.pick(&an, 24)
        ),
        " -d @msg.json",
    );
    add(
        "discord-webhook-url",
        "app/discord.txt",
        "https://discord.com/api/webhooks/",
        format!("{}/{}", r.pick(DIGITS, 18), r.pick(&urlsafe(), 68)),
        "",
    );
    add(
        "telegram-bot-token",
        "app/bot.env",
        "TELEGRAM_BOT=",
        format!(
            "{}{}{}",
            r.pick(DIGITS, 9),
            ":A",
            "A".to_string() + &r.pick(&urlsafe(), 33)
        ),
        "",
    );
    add(
        "teams-webhook-url",
        "app/teams.txt",
        "https://acme.webhook.office.com/webhookb2/",
        format!(
            "{}@{}/IncomingWebhook/{}/{}",
            uuid(&mut r),
            uuid(&mut r),
            r.pick(HEX, 32),
            uuid(&mut r)
        ),
        "",
    );
    add(
        "stripe-secret-key",
        "app/pay.rb",
        "Stripe.api_key = '",
        format!("{}{}{}", "sk_", "live_", r.pick(&an, 24)),
        "'",
    );
    add(
        "square-access-token",
        "app/square.env",
        "SQUARE=",
        format!("{}{}", "sq0atp-", r.pick(&urlsafe(), 22)),
        "",
    );
    add(
        "braintree-access-token",
        "app/bt.env",
        "BT=",
        format!(
            "{}{}${}",
            "access_token$production$",
            r.pick(&format!("{DIGITS}{LOWER}"), 16),
            r.pick(HEX, 32)
        ),
        "",
    );
    add(
        "shopify-token",
        "app/shop.env",
        "SHOP=",
        format!("{}{}", "shpat_", r.pick(HEX, 32)),
        "",
    );
    add(
        "twilio-api-key",
        "app/twilio.env",
        "TWILIO_SID=",
        format!("{}{}", "S", "K".to_string() + &r.pick(HEX, 32)),
        "",
    );
    add(
        "sendgrid-api-key",
        "app/mail.env",
        "SG_KEY=",
        format!(
            "{}{}.{}",
            "SG.",
            r.pick(&urlsafe(), 22),
            r.pick(&urlsafe(), 43)
        ),
        "",
    );
    add(
        "mailgun-api-key",
        "app/mailgun.env",
        "MAILGUN_API_KEY=",
        format!("{}{}", "key-", r.pick(HEX, 32)),
        "",
    );
    add(
        "mailchimp-api-key",
        "app/mc.env",
        "MC=",
        format!("{}-us{}", r.pick(HEX, 32), r.pick("123456789", 1)),
        "",
    );
    add(
        "openai-api-key",
        "app/ai.env",
        "OAI=",
        format!(
            "{}{}{}{}",
            "sk-proj-",
            r.pick(&an, 30),
            "T3Blbk",
            "FJ".to_string() + &r.pick(&an, 30)
        ),
        "",
    );
    add(
        "anthropic-api-key",
        "app/claude.env",
        "ANT=",
        format!("{}{}", "sk-ant-api03-", r.pick(&urlsafe(), 93)),
        "",
    );
    add(
        "huggingface-token",
        "app/hf.env",
        "HF=",
        format!("{}{}", "hf_", r.pick(&format!("{UPPER}{LOWER}"), 34)),
        "",
    );
    add(
        "newrelic-user-key",
        "app/nr.env",
        "NR=",
        format!("{}{}", "NRAK-", r.pick(&format!("{UPPER}{DIGITS}"), 27)),
        "",
    );
    add(
        "atlassian-api-token",
        "app/jira.env",
        "JIRA=",
        format!("{}{}", "ATATT3", r.pick(&urlsafe(), 186)),
        "",
    );
    add(
        "linear-api-key",
        "app/linear.env",
        "LIN=",
        format!("{}{}", "lin_api_", r.pick(&an, 40)),
        "",
    );
    add(
        "postman-api-key",
        "app/postman.env",
        "PM=",
        format!("{}{}-{}", "PMAK-", r.pick(HEX, 24), r.pick(HEX, 34)),
        "",
    );
    add(
        "grafana-token",
        "app/grafana.env",
        "GF=",
        format!("{}{}_{}", "glsa_", r.pick(&an, 32), r.pick(HEX, 8)),
        "",
    );
    add(
        "sentry-token",
        "app/sentry.env",
        "SENTRY=",
        format!("{}{}", "sntrys_", r.pick(&an, 60)),
        "",
    );
    add(
        "doppler-token",
        "app/doppler.env",
        "DP=",
        format!("{}{}", "dp.pt.", r.pick(&an, 43)),
        "",
    );
    add(
        "pulumi-token",
        "app/pulumi.env",
        "PUL=",
        format!("{}{}", "pul-", r.pick(HEX, 40)),
        "",
    );
    add(
        "hashicorp-vault-token",
        "app/vault.env",
        "VT=",
        format!("{}{}", "hvs.", r.pick(&urlsafe(), 90)),
        "",
    );
    add(
        "terraform-cloud-token",
        "root/.terraformrc",
        "token = \"",
        format!(
            "{}{}{}",
            r.pick(&an, 14),
            ".atlasv1.",
            r.pick(&urlsafe(), 67)
        ),
        "\"",
    );
    add(
        "dockerhub-pat",
        "app/hub.env",
        "HUB=",
        format!("{}{}", "dckr_pat_", r.pick(&urlsafe(), 27)),
        "",
    );
    let auth = b64(format!("ci-bot:{}", r.pick(&an, 20)).as_bytes(), false);
    add(
        "docker-config-auth",
        "root/.docker/config.json",
        "{\"auths\": {\"registry.acme.io\": {\"auth\": \"",
        auth,
        "\"}}}",
    );
    add(
        "kubeconfig-client-key",
        "root/.kube/config",
        "    client-key-data: ",
        b64(&r.bytes(120), false),
        "",
    );
    add(
        "npm-access-token",
        "app/npm.env",
        "NPM=",
        format!("{}{}", "npm_", r.pick(&an, 36)),
        "",
    );
    add(
        "npmrc-auth",
        "root/.npmrc",
        "//registry.npmjs.org/:_authToken=",
        uuid(&mut r),
        "",
    );
    add(
        "pypi-upload-token",
        "app/pypi.env",
        "TWINE_PASSWORD=",
        format!("{}{}{}", "pypi-", "AgEIcHlwaS5vcmc", r.pick(&urlsafe(), 70)),
        "",
    );
    add(
        "pypirc-password",
        "root/.pypirc",
        "[pypi]\nusername = bob\npassword = ",
        r.pick(&an, 18),
        "",
    );
    add(
        "rubygems-api-key",
        "root/.gem/credentials",
        ":rubygems_api_key: ",
        format!("{}{}", "rubygems_", r.pick(HEX, 48)),
        "",
    );
    let bech = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
    add(
        "age-secret-key",
        "app/age.key",
        "",
        format!("{}{}", "AGE-SECRET-KEY-1", r.pick(bech, 58)),
        "",
    );
    let jwt = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#, true),
        b64(
            format!(r#"{{"sub":"{}","iat":1700000000}}"#, r.pick(DIGITS, 10)).as_bytes(),
            true
        ),
        r.pick(&urlsafe(), 43)
    );
    add("jwt", "app/session.txt", "Authorization: Bearer ", jwt, "");
    add(
        "database-url-password",
        "app/db.env",
        "DATABASE_URL=postgres://app:",
        r.pick(&an, 20),
        "@db.internal:5432/app",
    );
    add(
        "url-credentials",
        "app/git.cfg",
        "url = https://deploy:",
        r.pick(&an, 20),
        "@git.acme.io/repo.git",
    );
    add(
        "shadow-password-hash",
        "etc/shadow",
        "root:",
        format!(
            "$6${}${}",
            r.pick(&format!("{an}./"), 16),
            r.pick(&format!("{an}./"), 86)
        ),
        ":19000:0:99999:7:::",
    );
    add(
        "netrc-password",
        "root/.netrc",
        "machine api.acme.io login bob password ",
        r.pick(&an, 18),
        "",
    );
    add(
        "htpasswd-hash",
        "etc/nginx/.htpasswd",
        "admin:",
        format!(
            "$apr1${}${}",
            r.pick(&an, 8),
            r.pick(&format!("{an}./"), 22)
        ),
        "",
    );
    add(
        "generic-secret-assignment",
        "app/config.yaml",
        "client_secret: \"",
        r.pick(&an, 32),
        "\"",
    );

    // Private keys: the whole block is the planted text, the first body line
    // is what must never be printed.
    for (id, label, headers) in [
        ("private-key-rsa", "RSA PRIVATE KEY", ""),
        ("private-key-ec", "EC PRIVATE KEY", ""),
        (
            "private-key-dsa",
            "DSA PRIVATE KEY",
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n",
        ),
        ("private-key-pkcs8", "PRIVATE KEY", ""),
        ("private-key-pkcs8-encrypted", "ENCRYPTED PRIVATE KEY", ""),
        ("private-key-openssh", "OPENSSH PRIVATE KEY", ""),
        (
            "private-key-pgp",
            "PGP PRIVATE KEY BLOCK",
            "Version: GnuPG v2\n\n",
        ),
    ] {
        let (text, first) = pem(label, &mut r, headers);
        v.push((
            id,
            format!("app/keys/{id}.pem"),
            format!("# planted for {id}\n{text}"),
            first,
        ));
    }
    let putty_line = b64(&r.bytes(48), false);
    v.push((
        "private-key-putty",
        "app/keys/id.ppk".into(),
        format!(
            "# planted\nPuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: k\nPublic-Lines: 1\n{}\nPrivate-Lines: 2\n{putty_line}\n{}\nPrivate-MAC: {}\n",
            b64(&r.bytes(48), false),
            b64(&r.bytes(48), false),
            r.pick(HEX, 64)
        ),
        putty_line,
    ));
    // A GCP service account JSON: found as such (and its key as PKCS#8).
    let key_id = r.pick(HEX, 40);
    let (key, _) = pem("PRIVATE KEY", &mut r, "");
    let sa = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-prod\",\n  \"private_key_id\": \"{key_id}\",\n  \"private_key\": \"{}\",\n  \"client_email\": \"ci@acme-prod.iam.gserviceaccount.com\"\n}}\n",
        key.replace('\n', "\\n")
    );
    v.push(("gcp-service-account", "app/sa.json".into(), sa, key_id));
    v
}
