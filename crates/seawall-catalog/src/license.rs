//! Naming a licence from its text or a free-form label, for metadata that
//! points at a licence file or uses PyPI trove classifiers.

/// SPDX id for a licence text, recognised from phrases the standard texts
/// contain; `None` when nothing matches.
pub(crate) fn classify_text(text: &str) -> Option<&'static str> {
    let t: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let has = |s: &str| t.contains(s);
    let id = if has("python software foundation")
        && (has("history of the software") || has("psf license agreement"))
    {
        "PSF-2.0"
    } else if has("apache license") && has("version 2.0") {
        "Apache-2.0"
    } else if has("mozilla public license") && has("2.0") {
        "MPL-2.0"
    } else if has("gnu lesser general public license") {
        if has("version 3") {
            "LGPL-3.0-only"
        } else {
            "LGPL-2.1-only"
        }
    } else if has("gnu affero general public license") {
        "AGPL-3.0-only"
    } else if has("gnu general public license") {
        if has("version 3") {
            "GPL-3.0-only"
        } else {
            "GPL-2.0-only"
        }
    } else if has("permission is hereby granted, free of charge") {
        "MIT"
    } else if has(
        "permission to use, copy, modify, and/or distribute this software for any purpose",
    ) {
        "ISC"
    } else if has("redistribution and use in source and binary forms") {
        if has("neither the name") || has("endorse or promote") {
            "BSD-3-Clause"
        } else {
            "BSD-2-Clause"
        }
    } else if has("this is free and unencumbered software released into the public domain") {
        "Unlicense"
    } else {
        return None;
    };
    Some(id)
}

/// SPDX id for a trove classifier's last segment (`MIT License`), or the
/// label itself when unknown.
pub(crate) fn from_classifier(label: &str) -> String {
    let l = label.trim();
    let id = match l {
        "MIT License" => "MIT",
        "BSD License" => "BSD",
        "Apache Software License" => "Apache",
        "ISC License (ISCL)" => "ISC",
        "Python Software Foundation License" => "PSF-2.0",
        "Mozilla Public License 2.0 (MPL 2.0)" => "MPL-2.0",
        "Mozilla Public License 1.1 (MPL 1.1)" => "MPL-1.1",
        "GNU General Public License v2 (GPLv2)" => "GPL-2.0-only",
        "GNU General Public License v2 or later (GPLv2+)" => "GPL-2.0-or-later",
        "GNU General Public License v3 (GPLv3)" => "GPL-3.0-only",
        "GNU General Public License v3 or later (GPLv3+)" => "GPL-3.0-or-later",
        "GNU Lesser General Public License v2 (LGPLv2)" => "LGPL-2.0-only",
        "GNU Lesser General Public License v2 or later (LGPLv2+)" => "LGPL-2.0-or-later",
        "GNU Lesser General Public License v3 (LGPLv3)" => "LGPL-3.0-only",
        "GNU Lesser General Public License v3 or later (LGPLv3+)" => "LGPL-3.0-or-later",
        "GNU Affero General Public License v3" => "AGPL-3.0-only",
        "Eclipse Public License 2.0 (EPL-2.0)" => "EPL-2.0",
        "The Unlicense (Unlicense)" => "Unlicense",
        other => other,
    };
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_classifiers() {
        assert_eq!(
            classify_text("Permission is hereby granted, free of charge, to any\n person"),
            Some("MIT")
        );
        assert_eq!(classify_text("hello"), None);
        assert_eq!(from_classifier("MIT License"), "MIT");
        assert_eq!(
            from_classifier("Other/Proprietary License"),
            "Other/Proprietary License"
        );
    }
}
