// Zone files of CoreDNS's plugin/file tests (lookup_test.go, delegation_test.go, dname_test.go,
// wildcard_test.go, ent_test.go), used by the ported test tables. The signed ones are given here
// without their DNSSEC records (RRSIG, NSEC, DNSKEY), which clusterdns does not serve.

export const dbMiekNL = `
$TTL    30M
$ORIGIN miek.nl.
@       IN      SOA     linode.atoom.net. miek.miek.nl. (
                             1282630057 ; Serial
                             4H         ; Refresh
                             1H         ; Retry
                             7D         ; Expire
                             4H )       ; Negative Cache TTL
                IN      NS      linode.atoom.net.
                IN      NS      ns-ext.nlnetlabs.nl.
                IN      NS      omval.tednet.nl.
                IN      NS      ext.ns.whyscream.net.

                IN      MX      1  aspmx.l.google.com.
                IN      MX      5  alt1.aspmx.l.google.com.
                IN      MX      5  alt2.aspmx.l.google.com.
                IN      MX      10 aspmx2.googlemail.com.
                IN      MX      10 aspmx3.googlemail.com.

\t\tIN      A       139.162.196.78
\t\tIN      AAAA    2a01:7e00::f03c:91ff:fef1:6735

a               IN      A       139.162.196.78
                IN      AAAA    2a01:7e00::f03c:91ff:fef1:6735
www             IN      CNAME   a
archive         IN      CNAME   a
*.x             IN      CNAME   www
b.x             IN      CNAME   a
*.y             IN      A       139.162.196.78
dname           IN      DNAME   x

srv\t\tIN\tSRV     10 10 8080 a.miek.nl.
mx\t\tIN\tMX      10 a.miek.nl.

txt     IN\tTXT     "v=spf1 a mx ~all"
caa     IN  CAA    0 issue letsencrypt.org
*.nodata    IN   A      139.162.196.79
ext-cname   IN   CNAME  example.com.`;

export const dbMiekNLDelegation = `
$TTL    30M
$ORIGIN miek.nl.
@       IN      SOA     linode.atoom.net. miek.miek.nl. (
                             1282630057 ; Serial
                             4H         ; Refresh
                             1H         ; Retry
                             7D         ; Expire
                             4H )       ; Negative Cache TTL
                IN      NS      linode.atoom.net.
                IN      NS      ns-ext.nlnetlabs.nl.
                IN      NS      omval.tednet.nl.
                IN      NS      ext.ns.whyscream.net.

                IN      MX      1  aspmx.l.google.com.
                IN      MX      5  alt1.aspmx.l.google.com.
                IN      MX      5  alt2.aspmx.l.google.com.
                IN      MX      10 aspmx2.googlemail.com.
                IN      MX      10 aspmx3.googlemail.com.

delegated\tIN\tNS      a.delegated
\t\tIN\tNS      ns-ext.nlnetlabs.nl.

a.delegated     IN      TXT     "obscured"
                IN      A       139.162.196.78
                IN      AAAA    2a01:7e00::f03c:91ff:fef1:6735

a               IN      A       139.162.196.78
                IN      AAAA    2a01:7e00::f03c:91ff:fef1:6735
www             IN      CNAME   a
archive         IN      CNAME   a`;

export const dbMiekNLDNAME = `
$TTL    30M
$ORIGIN miek.nl.
@       IN      SOA     linode.atoom.net. miek.miek.nl. (
                             1282630057 ; Serial
                             4H         ; Refresh
                             1H         ; Retry
                             7D         ; Expire
                             4H )       ; Negative Cache TTL
                IN      NS      linode.atoom.net.
                IN      NS      ns-ext.nlnetlabs.nl.
                IN      NS      omval.tednet.nl.
                IN      NS      ext.ns.whyscream.net.

test            IN      MX      1  aspmx.l.google.com.
                IN      MX      5  alt1.aspmx.l.google.com.
                IN      MX      5  alt2.aspmx.l.google.com.
                IN      MX      10 aspmx2.googlemail.com.
                IN      MX      10 aspmx3.googlemail.com.
a.test          IN      A       139.162.196.78
                IN      AAAA    2a01:7e00::f03c:91ff:fef1:6735
www.test        IN      CNAME   a.test

dname           IN      DNAME   test
dname           IN      A       127.0.0.1
a.dname         IN      A       127.0.0.1
`;

export const exampleOrg = `; example.org test file
$TTL 3600
example.org.\t\tIN\tSOA\tsns.dns.icann.org. noc.dns.icann.org. 2015082541 7200 3600 1209600 3600
example.org.\t\tIN\tNS\tb.iana-servers.net.
example.org.\t\tIN\tNS\ta.iana-servers.net.
example.org.\t\tIN\tA\t127.0.0.1
example.org.\t\tIN\tA\t127.0.0.2
*.w.example.org.        IN      TXT     "Wildcard"
a.b.c.w.example.org.    IN      TXT     "Not a wildcard"
*.c.example.org.        IN      TXT     "c Wildcard"
*.d.example.org.        IN      CNAME   alias.example.org.
alias.example.org.      IN      TXT     "Wildcard CNAME expansion"
`;

export const apexWildcard = `; example.org test file with wildcard at apex
$TTL 3600
example.org.\t\tIN\tSOA\tsns.dns.icann.org. noc.dns.icann.org. 2015082541 7200 3600 1209600 3600
example.org.\t\tIN\tNS\tb.iana-servers.net.
*.example.org.          IN      A       127.0.0.53
foo.example.org.        IN      A       127.0.0.54
`;

export const doubleWildcard = `; example.org test file with wildcard at apex
$TTL 3600
example.org.\t\tIN\tSOA\tsns.dns.icann.org. noc.dns.icann.org. 2015082541 7200 3600 1209600 3600
example.org.\t\tIN\tNS\tb.iana-servers.net.
*.example.org.          IN      A       127.0.0.53
*.intern.example.org.   IN      A       127.0.1.52
foo.example.org.        IN      A       127.0.0.54
`;

export const dbWildcardAdditional = `
$TTL 30M
$ORIGIN example.org.
@\tIN SOA\tns.example.org. admin.example.org. 2024010100 14400 3600 604800 14400
\tIN NS\tns.example.org.
ns\tIN A\t192.0.2.1
mail\tIN A\t192.0.2.10
\tIN AAAA\t2001:db8::10
*.wild\tIN MX\t10 mail.example.org.
`;

export const closerENTWildcard = `; example.org test file with a wildcard and a deeper empty non-terminal
$TTL 3600
example.org.             IN     SOA     sns.dns.icann.org. noc.dns.icann.org. 2015082541 7200 3600 1209600 3600
example.org.             IN     NS      b.iana-servers.net.
*.example.org.           IN     A       127.0.0.53
real.deeper.example.org. IN     A       127.0.0.54
`;

// ent_test.go's dbMiekENTNL, DNSSEC records left out.
export const dbMiekENTNL = `; File written on Sat Apr  2 16:43:11 2016
; dnssec_signzone version 9.10.3-P4-Ubuntu
miek.nl.\t\t1800\tIN SOA\tlinode.atoom.net. miek.miek.nl. (
\t\t\t\t\t1282630057 ; serial
\t\t\t\t\t14400      ; refresh (4 hours)
\t\t\t\t\t3600       ; retry (1 hour)
\t\t\t\t\t604800     ; expire (1 week)
\t\t\t\t\t14400      ; minimum (4 hours)
\t\t\t\t\t)
\t\t\t1800\tNS\tlinode.atoom.net.
a.miek.nl.\t\t1800\tIN A\t127.0.0.1
a.b.c.miek.nl.\t\t1800\tIN A\t127.0.0.1
`;
