//! AdmissionReview v1 (de)serialisation and the response rules kube-apiserver
//! enforces on webhook answers.
//!
//! The request side is parsed loosely (unknown fields kept in the objects as
//! raw JSON) so that we never reject a review for a field we do not use. The
//! response side is built so that it passes kube-apiserver's
//! `VerifyAdmissionResponse`: same `apiVersion`/`kind` as the request, the
//! request `uid` echoed, and `patch` + `patchType: JSONPatch` only together.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

/// Maximum length of one warning. kube-apiserver truncates longer webhook
/// warnings, so we keep ours readable instead of cut.
pub const MAX_WARNING_LEN: usize = 120;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub resource: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    #[serde(default)]
    pub kind: GroupVersionKind,
    #[serde(default)]
    pub resource: GroupVersionResource,
    #[serde(default)]
    pub sub_resource: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    pub operation: String,
    #[serde(default)]
    pub user_info: UserInfo,
    #[serde(default)]
    pub object: Option<Value>,
    #[serde(default)]
    pub old_object: Option<Value>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// The incoming review as sent by kube-apiserver.
#[derive(Debug, Clone)]
pub struct ReviewIn {
    pub api_version: String,
    pub kind: String,
    pub request: AdmissionRequest,
}

/// Parses an AdmissionReview body.
pub fn parse_review(body: &[u8]) -> Result<ReviewIn, Error> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Error::BadRequest(format!("body is not valid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| Error::BadRequest("body is not a JSON object".into()))?;
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if kind != KIND {
        return Err(Error::BadRequest(format!(
            "expected kind AdmissionReview, got {kind:?}"
        )));
    }
    if api_version != API_VERSION && api_version != "admission.k8s.io/v1beta1" {
        return Err(Error::BadRequest(format!(
            "unsupported apiVersion {api_version:?} (expected {API_VERSION})"
        )));
    }
    let req = obj
        .get("request")
        .ok_or_else(|| Error::BadRequest("AdmissionReview has no request".into()))?;
    let request: AdmissionRequest = serde_json::from_value(req.clone())
        .map_err(|e| Error::BadRequest(format!("invalid AdmissionReview request: {e}")))?;
    if request.uid.is_empty() {
        return Err(Error::BadRequest(
            "AdmissionReview request has no uid".into(),
        ));
    }
    Ok(ReviewIn {
        api_version,
        kind,
        request,
    })
}

/// The decision for one request, before it is turned into JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    /// Denial message (only when `allowed` is false).
    pub message: String,
    /// HTTP-like status code for a denial (403 Forbidden by default).
    pub code: u16,
    pub warnings: Vec<String>,
    pub audit_annotations: Vec<(String, String)>,
    /// RFC 6902 patch (only from `/mutate`).
    pub patch: Option<Value>,
}

impl Decision {
    pub fn allow() -> Self {
        Decision {
            allowed: true,
            ..Default::default()
        }
    }

    pub fn deny(message: impl Into<String>) -> Self {
        Decision {
            allowed: false,
            message: message.into(),
            code: 403,
            ..Default::default()
        }
    }
}

/// Builds the response review. `uid` is echoed; `apiVersion` and `kind` are
/// those of the request.
pub fn response_json(review: &ReviewIn, decision: &Decision) -> Value {
    let mut resp = serde_json::Map::new();
    resp.insert("uid".into(), Value::String(review.request.uid.clone()));
    resp.insert("allowed".into(), Value::Bool(decision.allowed));
    if !decision.allowed {
        resp.insert(
            "status".into(),
            serde_json::json!({
                "metadata": {},
                "status": "Failure",
                "message": decision.message,
                "reason": match decision.code {
                    403 => "Forbidden",
                    500 => "InternalError",
                    _ => "BadRequest",
                },
                "code": decision.code,
            }),
        );
    }
    if !decision.warnings.is_empty() {
        let w: Vec<Value> = decision
            .warnings
            .iter()
            .map(|w| Value::String(shorten(w, MAX_WARNING_LEN)))
            .collect();
        resp.insert("warnings".into(), Value::Array(w));
    }
    if !decision.audit_annotations.is_empty() {
        let m: serde_json::Map<String, Value> = decision
            .audit_annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        resp.insert("auditAnnotations".into(), Value::Object(m));
    }
    if let Some(patch) = &decision.patch {
        if patch.as_array().is_some_and(|a| !a.is_empty()) {
            let bytes = serde_json::to_vec(patch).unwrap_or_default();
            resp.insert(
                "patch".into(),
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
            );
            resp.insert("patchType".into(), Value::String("JSONPatch".into()));
        }
    }
    serde_json::json!({
        "apiVersion": review.api_version,
        "kind": review.kind,
        "response": Value::Object(resp),
    })
}

/// Shortens `s` to at most `max` characters on a char boundary, marking the
/// cut with an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// Checks a response the way kube-apiserver does (used by our own tests and
/// by `seawall admission` self-checks). Returns the first violation.
pub fn verify_response(request: &Value, response: &Value, mutating: bool) -> Result<(), String> {
    let want_api = request.get("apiVersion").and_then(Value::as_str);
    let want_kind = request.get("kind").and_then(Value::as_str);
    if response.get("apiVersion").and_then(Value::as_str) != want_api {
        return Err("expected response apiVersion to match request".into());
    }
    if response.get("kind").and_then(Value::as_str) != want_kind {
        return Err("expected response kind to match request".into());
    }
    let resp = response
        .get("response")
        .ok_or("webhook response was absent")?;
    let want_uid = request
        .pointer("/request/uid")
        .and_then(Value::as_str)
        .ok_or("request has no uid")?;
    if resp.get("uid").and_then(Value::as_str) != Some(want_uid) {
        return Err(format!("expected response.uid={want_uid:?}"));
    }
    if resp.get("allowed").and_then(Value::as_bool).is_none() {
        return Err("response.allowed must be a boolean".into());
    }
    let patch = resp.get("patch");
    let patch_type = resp.get("patchType");
    match (patch, patch_type) {
        (None, None) => {}
        (Some(_), None) => return Err("response.patch requires response.patchType".into()),
        (None, Some(_)) => return Err("response.patchType requires response.patch".into()),
        (Some(p), Some(t)) => {
            if !mutating {
                return Err("validating webhooks may not return patches".into());
            }
            if t.as_str() != Some("JSONPatch") {
                return Err(format!("response.patchType must be JSONPatch, got {t}"));
            }
            let s = p.as_str().ok_or("response.patch must be a base64 string")?;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| format!("response.patch is not base64: {e}"))?;
            let v: Value = serde_json::from_slice(&raw)
                .map_err(|e| format!("response.patch is not JSON: {e}"))?;
            if !v.is_array() {
                return Err("response.patch must be a JSON array".into());
            }
        }
    }
    if let Some(w) = resp.get("warnings") {
        let arr = w.as_array().ok_or("warnings must be an array")?;
        for x in arr {
            let s = x.as_str().ok_or("warnings must be strings")?;
            if s.chars().count() > MAX_WARNING_LEN {
                return Err(format!("warning longer than {MAX_WARNING_LEN} characters"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        serde_json::json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "namespace": "default",
                "operation": "CREATE",
                "userInfo": {"username": "admin"},
                "object": {"metadata": {"name": "p"}, "spec": {"containers": []}}
            }
        })
    }

    #[test]
    fn response_echoes_uid_and_type() {
        let req = sample();
        let review = parse_review(&serde_json::to_vec(&req).unwrap()).unwrap();
        let resp = response_json(&review, &Decision::deny("no"));
        verify_response(&req, &resp, false).unwrap();
        assert_eq!(resp["response"]["status"]["code"], 403);
    }

    #[test]
    fn patch_only_with_type_and_only_when_mutating() {
        let req = sample();
        let review = parse_review(&serde_json::to_vec(&req).unwrap()).unwrap();
        let mut d = Decision::allow();
        d.patch = Some(serde_json::json!([{"op": "add", "path": "/x", "value": 1}]));
        let resp = response_json(&review, &d);
        assert_eq!(resp["response"]["patchType"], "JSONPatch");
        verify_response(&req, &resp, true).unwrap();
        assert!(verify_response(&req, &resp, false).is_err());
        // An empty patch is not sent at all.
        d.patch = Some(serde_json::json!([]));
        let resp = response_json(&review, &d);
        assert!(resp["response"].get("patch").is_none());
        assert!(resp["response"].get("patchType").is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_review(b"{not json").is_err());
        assert!(parse_review(b"[]").is_err());
        assert!(
            parse_review(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
                .is_err()
        );
        assert!(parse_review(br#"{"apiVersion":"v1","kind":"Pod","request":{}}"#).is_err());
    }

    #[test]
    fn warnings_are_shortened() {
        let long = "x".repeat(500);
        assert_eq!(shorten(&long, 120).chars().count(), 120);
        assert_eq!(shorten("short", 120), "short");
    }
}
