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

// ent_test.go's dbMiekENTNL as signed (RRSIG, NSEC, DNSKEY kept).
export const dbMiekENTNLSigned = "; File written on Sat Apr  2 16:43:11 2016\n; dnssec_signzone version 9.10.3-P4-Ubuntu\nmiek.nl.\t\t1800\tIN SOA\tlinode.atoom.net. miek.miek.nl. (\n\t\t\t\t\t1282630057 ; serial\n\t\t\t\t\t14400      ; refresh (4 hours)\n\t\t\t\t\t3600       ; retry (1 hour)\n\t\t\t\t\t604800     ; expire (1 week)\n\t\t\t\t\t14400      ; minimum (4 hours)\n\t\t\t\t\t)\n\t\t\t1800\tRRSIG\tSOA 8 2 1800 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\tKegoBxA3Tbrhlc4cEdkRiteIkOfsqD4oCLLM\n\t\t\t\t\tISJ5bChWy00LGHUlAnHVu5Ti96hUjVNmGSxa\n\t\t\t\t\txtGSuAAMFCr52W8pAB8LBIlu9B6QZUPHMccr\n\t\t\t\t\tSuzxAX3ioawk2uTjm+k8AGPT4RoQdXemGLAp\n\t\t\t\t\tzJTASolTVmeMTh5J0sZTZJrtvZ0= )\n\t\t\t1800\tNS\tlinode.atoom.net.\n\t\t\t1800\tRRSIG\tNS 8 2 1800 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\tm0cOHL6Rre/0jZPXe+0IUjs/8AFASRCvDbSx\n\t\t\t\t\tZQsRDSlZgS6RoMP3OC77cnrKDVlfZ2Vhq3Ce\n\t\t\t\t\tnYPoGe0/atB92XXsilmstx4HTSU64gsV9iLN\n\t\t\t\t\tXkzk36617t7zGOl/qumqfaUXeA9tihItzEim\n\t\t\t\t\t6SGnufVZI4o8xeyaVCNDDuN0bvY= )\n\t\t\t14400\tNSEC\ta.miek.nl. NS SOA RRSIG NSEC DNSKEY\n\t\t\t14400\tRRSIG\tNSEC 8 2 14400 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\tBCWVgwxWrs4tBjS9QXKkftCUbiLi40NyH1yA\n\t\t\t\t\tnbFy1wCKQ2jDH00810+ia4b66QrjlAKgxE9z\n\t\t\t\t\t9U7MKSMV86sNkyAtlCi+2OnjtWF6sxPdJO7k\n\t\t\t\t\tCHeg46XBjrQuiJRY8CneQX56+IEPdufLeqPR\n\t\t\t\t\tl+ocBQ2UkGhXmQdWp3CFDn2/eqU= )\n\t\t\t1800\tDNSKEY\t256 3 8 (\n\t\t\t\t\tAwEAAcNEU67LJI5GEgF9QLNqLO1SMq1EdoQ6\n\t\t\t\t\tE9f85ha0k0ewQGCblyW2836GiVsm6k8Kr5EC\n\t\t\t\t\tIoMJ6fZWf3CQSQ9ycWfTyOHfmI3eQ/1Covhb\n\t\t\t\t\t2y4bAmL/07PhrL7ozWBW3wBfM335Ft9xjtXH\n\t\t\t\t\tPy7ztCbV9qZ4TVDTW/Iyg0PiwgoXVesz\n\t\t\t\t\t) ; ZSK; alg = RSASHA256; key id = 12051\n\t\t\t1800\tDNSKEY\t257 3 8 (\n\t\t\t\t\tAwEAAcWdjBl4W4wh/hPxMDcBytmNCvEngIgB\n\t\t\t\t\t9Ut3C2+QI0oVz78/WK9KPoQF7B74JQ/mjO4f\n\t\t\t\t\tvIncBmPp6mFNxs9/WQX0IXf7oKviEVOXLjct\n\t\t\t\t\tR4D1KQLX0wprvtUIsQFIGdXaO6suTT5eDbSd\n\t\t\t\t\t6tTwu5xIkGkDmQhhH8OQydoEuCwV245ZwF/8\n\t\t\t\t\tAIsqBYDNQtQ6zhd6jDC+uZJXg/9LuPOxFHbi\n\t\t\t\t\tMTjp6j3CCW0kHbfM/YHZErWWtjPj3U3Z7knQ\n\t\t\t\t\tSIm5PO5FRKBEYDdr5UxWJ/1/20SrzI3iztvP\n\t\t\t\t\twHDsA2rdHm/4YRzq7CvG4N0t9ac/T0a0Sxba\n\t\t\t\t\t/BUX2UVPWaIVBdTRBtgHi0s=\n\t\t\t\t\t) ; KSK; alg = RSASHA256; key id = 33694\n\t\t\t1800\tRRSIG\tDNSKEY 8 2 1800 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\tYNpi1jRDQKpnsQEjIjxqy+kJGaYnV16e8Iug\n\t\t\t\t\t40c82y4pee7kIojFUllSKP44qiJpCArxF557\n\t\t\t\t\ttfjfwBd6c4hkqCScGPZXJ06LMyG4u//rhVMh\n\t\t\t\t\t4hyKcxzQFKxmrFlj3oQGksCI8lxGX6RxiZuR\n\t\t\t\t\tqv2ol2lUWrqetpAL+Zzwt71884E= )\n\t\t\t1800\tRRSIG\tDNSKEY 8 2 1800 (\n\t\t\t\t\t20160502144311 20160402144311 33694 miek.nl.\n\t\t\t\t\tjKpLDEeyadgM0wDgzEk6sBBdWr2/aCrkAOU/\n\t\t\t\t\tw6dYIafN98f21oIYQfscV1gc7CTsA0vwzzUu\n\t\t\t\t\tx0QgwxoNLMvSxxjOiW/2MzF8eozczImeCWbl\n\t\t\t\t\tad/pVCYH6Jn5UBrZ5RCWMVcs2RP5KDXWeXKs\n\t\t\t\t\tjEN/0EmQg5qNd4zqtlPIQinA9I1HquJAnS56\n\t\t\t\t\tpFvYyGIbZmGEbhR18sXVBeTWYr+zOMHn2quX\n\t\t\t\t\t0kkrx2udz+sPg7i4yRsLdhw138gPRy1qvbaC\n\t\t\t\t\t8ELs1xo1mC9pTlDOhz24Q3iXpVAU1lXLYOh9\n\t\t\t\t\tnUP1/4UvZEYXHBUQk/XPRciojniWjAF825x3\n\t\t\t\t\tQoSivMHblBwRdAKJSg== )\na.miek.nl.\t\t1800\tIN A\t127.0.0.1\n\t\t\t1800\tRRSIG\tA 8 3 1800 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\tlUOYdSxScjyYz+Ebc+nb6iTNgCohqj7K+Dat\n\t\t\t\t\t97KE7haV2nP3LxdYuDCJYZpeyhsXDLHd4bFI\n\t\t\t\t\tbInYPwJiC6DUCxPCuCWy0KYlZOWW8KCLX3Ia\n\t\t\t\t\tBOPQbvIwLsJhnX+/tyMD9mXortoqATO79/6p\n\t\t\t\t\tnNxvFeM8pFDwaih17fXMuFR/BsI= )\n\t\t\t14400\tNSEC\ta.b.c.miek.nl. A RRSIG NSEC\n\t\t\t14400\tRRSIG\tNSEC 8 3 14400 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\td5XZEy6SUp+TPRJQED+0R65zf2Yeo/1dlEA2\n\t\t\t\t\tjYYvkXGSHXke4sg9nH8U3nr1rLcuqA1DsQgH\n\t\t\t\t\tuMIjdENvXuZ+WCSwvIbhC+JEI6AyQ6Gfaf/D\n\t\t\t\t\tI3mfu60C730IRByTrKM5C2rt11lwRQlbdaUY\n\t\t\t\t\th23/nn/q98ZKUlzqhAfkLI9pQPc= )\na.b.c.miek.nl.\t\t1800\tIN A\t127.0.0.1\n\t\t\t1800\tRRSIG\tA 8 5 1800 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\tFwgU5+fFD4hEebco3gvKQt3PXfY+dcOJr8dl\n\t\t\t\t\tKy4WLsONIdhP+4e9oprPisSLxImErY21BcrW\n\t\t\t\t\txzu1IZrYDsS8XBVV44lBx5WXEKvAOrUcut/S\n\t\t\t\t\tOWhFZW7ncdIQCp32ZBIatiLRJEqXUjx+guHs\n\t\t\t\t\tnoFLiHix35wJWsRKwjGLIhH1fbs= )\n\t\t\t14400\tNSEC\tmiek.nl. A RRSIG NSEC\n\t\t\t14400\tRRSIG\tNSEC 8 5 14400 (\n\t\t\t\t\t20160502144311 20160402144311 12051 miek.nl.\n\t\t\t\t\tlXgOqm9/jRRYvaG5jC1CDvTtGYxMroTzf4t4\n\t\t\t\t\tjeYGb60+qI0q9sHQKfAJvoQ5o8o1qfR7OuiF\n\t\t\t\t\tf544ipYT9eTcJRyGAOoJ37yMie7ZIoVJ91tB\n\t\t\t\t\tr8YdzZ9Q6x3v1cbwTaQiacwhPZhGYOw63qIs\n\t\t\t\t\tq5IQErIPos2sNk+y9D8BEce2DO4= )";
