//! seawall-dockerfile (work in progress).
