//! Prometheus data model: labels, samples, exposition text parsing and encoding.
