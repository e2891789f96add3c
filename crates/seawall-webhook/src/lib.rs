//! seawall-webhook (work in progress).
