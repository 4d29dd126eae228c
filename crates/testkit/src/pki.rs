//! A throwaway certificate authority for TLS tests: a CA and the server and client certificates it
//! signs, as PEM.

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

pub struct Pki {
    ca_cert: rcgen::Certificate,
    ca_key: KeyPair,
}

/// A certificate and its private key.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    /// A new CA whose common name is `name`.
    pub fn new(name: &str) -> Pki {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca_cert = params.self_signed(&ca_key).expect("CA certificate");
        Pki { ca_cert, ca_key }
    }

    pub fn ca_pem(&self) -> String {
        self.ca_cert.pem()
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    pub fn server(&self) -> Issued {
        self.issue(
            vec!["localhost".to_string(), "127.0.0.1".to_string()],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A server certificate for `names` only.
    pub fn server_for(&self, names: &[&str]) -> Issued {
        self.issue(
            names.iter().map(|n| n.to_string()).collect(),
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A server certificate for `localhost` and `127.0.0.1` that expired at the start of 2021.
    pub fn expired_server(&self) -> Issued {
        self.issue_valid(
            vec!["localhost".to_string(), "127.0.0.1".to_string()],
            ExtendedKeyUsagePurpose::ServerAuth,
            true,
        )
    }

    /// A client certificate named `client`.
    pub fn client(&self) -> Issued {
        self.issue(
            vec!["client".to_string()],
            ExtendedKeyUsagePurpose::ClientAuth,
        )
    }

    fn issue(&self, names: Vec<String>, usage: ExtendedKeyUsagePurpose) -> Issued {
        self.issue_valid(names, usage, false)
    }

    fn issue_valid(
        &self,
        names: Vec<String>,
        usage: ExtendedKeyUsagePurpose,
        expired: bool,
    ) -> Issued {
        let key = KeyPair::generate().expect("key");
        // rcgen reads a name that parses as an IP address as an IP subject alternative name.
        let mut params = CertificateParams::new(names).expect("params");
        params.extended_key_usages = vec![usage];
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params
            .signed_by(&key, &self.ca_cert, &self.ca_key)
            .expect("signed certificate");
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}
