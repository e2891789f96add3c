//! seawall-event (work in progress).
