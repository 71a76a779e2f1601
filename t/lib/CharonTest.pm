package CharonTest;

# Helpers shared by the mod_charon Apache::Test suite (t/*.t).
#
# - HTTP: req() goes through LWP (Content-Length bodies, or chunked when
#   given a code ref); raw_req() writes the request by hand on a socket
#   (exact header names, hand-made chunked bodies).
# - Checks: ok_json(), ok_problem(), ok_head() each emit exactly ONE test
#   (all the aspects of a response are checked together and every failed
#   aspect is reported with diag), so plans are easy to count.
# - Database: the same database as httpd, through DBI and the DSN the
#   harness gives in CHARON_TEST_DSN (DBD::SQLite, DBD::Pg, DBD::MariaDB
#   or DBD::mysql); read back every write, seed crons.
# - Every response seen is checked for an API key in its headers or body;
#   no_leak_ok() reports it as one test at the end of each file; and
#   recorded in t/logs/answers.jsonl, which the harness checks against
#   docs/openapi.yaml (tests/openapi/check.js).
# - Run control: set_cron()/cron_row()/execution_rc() read and write the
#   schema 2 columns, times in each database's own format (db_ts, db_now);
#   insert_execution(s) write past runs; wait_until() polls with a
#   deadline; fork_race() sends concurrent requests.

use strict;
use warnings;

use Apache::Test ();
use Apache::TestRequest ();
use DBI;
use HTTP::Request;
use HTTP::Response;
use IO::Select;
use IO::Socket::INET;
use JSON ();
use LWP::UserAgent;
use MIME::Base64 ();
use URI;
use Test::Builder;
use Time::HiRes ();
use Time::Local ();
use POSIX ();

use Exporter 'import';
our @EXPORT = qw(
    KEY_GLOBAL KEY_CLEAR KEY_HASHED KEY_HASHED_DIGEST KEY_SCOPED KEY_FILE
    KEY_FILE_SCOPED KEY_SMALL KEY_VHOST_A KEY_VHOST_B
    req raw_req decode_body
    ok_json ok_problem ok_head ok_allow no_leak_ok
    dbh seed_cron purge_cron set_active cron_id execution executions_of
    count_executions count_all_executions messages_of count_messages
    max_execution_id ts_epoch ts_recent start_exec end_exec json_enc
    db_kind db_now db_ts iso_z set_cron cron_row refused execution_rc
    insert_execution insert_executions insert_message wait_until fork_race
    hires_time set_schedule watch_row wait_watched rewind_watch slot_rows
    cron_stats exec_sched build_charon_run
);

use constant {
    KEY_GLOBAL        => 'test-key-global-0123456789',
    KEY_CLEAR         => 'test-key-clear-0123456789',
    KEY_HASHED        => 'test-key-hashed-0123456789',
    KEY_HASHED_DIGEST =>
        'b5185ba896e3b4b01bb7a36d95ac09435ae2a75402fff4ef8f972f3321d79bfd',
    KEY_SCOPED        => 'test-key-scoped-0123456789',
    KEY_FILE          => 'test-key-file-0123456789',
    KEY_FILE_SCOPED   => 'test-key-filescoped-0123456789',
    KEY_SMALL         => 'test-key-small-0123456789',
    KEY_VHOST_A       => 'test-key-vhost-a-0123456789',
    KEY_VHOST_B       => 'test-key-vhost-b-0123456789',
};

my $TB = Test::Builder->new;
my $JSON = JSON->new->utf8->canonical->allow_nonref;

sub json_enc { $JSON->encode($_[0]) }

# ---------------------------------------------------------------- leaks

# Every key this suite configures or presents starts with "test-key-";
# the hashed key's digest must not be echoed either.
my @LEAKS;

sub check_leak {
    my ($res, $what) = @_;
    my $text = $res->headers->as_string . "\n" . ($res->content // '');
    for my $needle ('test-key-', KEY_HASHED_DIGEST) {
        if (index(lc $text, lc $needle) >= 0) {
            push @LEAKS, "$what: response contains '$needle'";
        }
    }
}

# One test: no response seen so far echoed a key.
sub no_leak_ok {
    my $name = shift || 'no API key echoed in any response header or body';
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $TB->ok(!@LEAKS, $name) or $TB->diag(join "\n", @LEAKS);
}

# ----------------------------------------------------------------- HTTP

# Every answer received, for tests/openapi/check.js (the harness runs it
# after the suite): one JSON line per answer in t/logs/answers.jsonl, from
# every LWP user agent of every test (and its forked children: appends of
# one line each) and from raw_req().
my $ANSWERS;
sub record_answer {
    my ($method, $uri, $res, $how) = @_;
    return if ($res->header('Client-Warning') // '') eq 'Internal response';
    my $u = ref $uri ? $uri : URI->new($uri);
    my %h;
    for my $name ($res->headers->header_field_names) {
        next if $name =~ /^Client-/i;    # LWP's own notes
        $h{lc $name} = join ', ', $res->headers->header($name);
    }
    my $line = JSON->new->canonical->encode({
        method => $method, path => $u->path, port => $u->port,
        status => 0 + $res->code, headers => \%h, how => $how,
        body => MIME::Base64::encode_base64($res->content // '', ''),
    }) . "\n";
    $ANSWERS //= (Apache::Test::vars('t_logs') // '.') . '/answers.jsonl';
    if (open my $fh, '>>', $ANSWERS) {
        binmode $fh;
        syswrite $fh, $line;    # one write: lines of children do not mix
        close $fh;
    }
}
{
    no warnings 'redefine';
    my $orig = \&LWP::UserAgent::simple_request;
    *LWP::UserAgent::simple_request = sub {
        my $res = $orig->(@_);
        record_answer($_[1]->method, $_[1]->uri, $res, 'lwp') if $res;
        return $res;
    };
}

my $UA;
sub ua {
    $UA ||= LWP::UserAgent->new(
        agent        => 'charon-test/1',
        timeout      => 60,
        keep_alive   => 0,
        max_redirect => 0,
    );
    return $UA;
}

# req(METHOD, PATH, %opt)
#   key       => value of the key header (none when absent)
#   keyheader => name of that header (default X-API-KEY)
#   json      => a Perl structure sent as the JSON body
#   body      => raw body bytes
#   content   => a code ref: LWP sends the body chunked
#   ctype     => Content-Type (default application/json when there is a
#                body; undef: no Content-Type at all)
#   headers   => [ name => value, ... ] more request headers
#   vhost     => an Apache::Test vhost name (charon_vhost_a, ...)
sub req {
    my ($method, $path, %o) = @_;
    local $Apache::TestRequest::Module = $o{vhost} if $o{vhost};
    my $url = Apache::TestRequest::resolve_url($path);

    my $r = HTTP::Request->new($method => $url);
    $r->header(($o{keyheader} // 'X-API-KEY') => $o{key}) if defined $o{key};

    my $body = exists $o{json} ? json_enc($o{json}) : $o{body};
    my $has_body = defined $body || ref $o{content} eq 'CODE';
    if ($has_body) {
        my $ct = exists $o{ctype} ? $o{ctype} : 'application/json';
        $r->header('Content-Type' => $ct) if defined $ct;
    }
    if (ref $o{content} eq 'CODE') {
        $r->content($o{content});         # no Content-Length: chunked
    }
    elsif (defined $body) {
        utf8::downgrade($body) or die "body must be bytes";
        $r->content($body);
        $r->header('Content-Length' => length $body);
    }
    my @h = @{ $o{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) {
        $r->push_header($k => $v);
    }

    my $res = ua()->request($r);
    check_leak($res, "$method $path");
    return $res;
}

sub host_port {
    my ($vhost) = @_;
    local $Apache::TestRequest::Module = $vhost if $vhost;
    my $hp = Apache::TestRequest::hostport();
    my ($host, $port) = $hp =~ /^(.*):(\d+)$/ or die "bad hostport $hp";
    return ($host, $port);
}

# raw_req(%opt): writes the request by hand.
#   method, path, headers => [ [name, value], ... ] (sent exactly as
#   given), body => bytes (sent with Content-Length unless
#   no_length => 1), chunks => [ bytes, ... ] (sent chunked), vhost.
# Returns an HTTP::Response (code 599 when no answer could be read).
sub raw_req {
    my (%o) = @_;
    my $method = $o{method} || 'GET';
    my ($host, $port) = host_port($o{vhost});
    my $addr = Apache::Test::vars('remote_addr') || '127.0.0.1';

    my $req = "$method $o{path} HTTP/1.1\r\nHost: $host:$port\r\n"
            . "Connection: close\r\n";
    for my $h (@{ $o{headers} || [] }) {
        $req .= "$h->[0]: $h->[1]\r\n";
    }
    my $body = '';
    if ($o{chunks}) {
        $req .= "Transfer-Encoding: chunked\r\n";
        for my $c (@{ $o{chunks} }) {
            next unless length $c;
            $body .= sprintf("%x\r\n", length $c) . $c . "\r\n";
        }
        $body .= "0\r\n\r\n";
    }
    elsif (defined $o{body}) {
        $body = $o{body};
        $req .= "Content-Length: " . length($body) . "\r\n"
            unless $o{no_length};
    }
    $req .= "\r\n" . $body;

    local $SIG{PIPE} = 'IGNORE';
    my $sock = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $port,
                                     Proto => 'tcp', Timeout => 30);
    return HTTP::Response->new(599, "connect: $!") unless $sock;
    binmode $sock;
    my $off = 0;
    while ($off < length $req) {
        my $n = syswrite($sock, $req, length($req) - $off, $off);
        last unless $n;                  # the server may answer early
        $off += $n;
    }
    my $in = '';
    my $sel = IO::Select->new($sock);
    my $deadline = time + 60;
    while (time < $deadline) {
        last unless $sel->can_read(5);
        my $n = sysread($sock, $in, 65536, length $in);
        last unless $n;
    }
    close $sock;

    my $res = parse_raw_response($in);
    check_leak($res, "$method $o{path} (raw)");
    record_answer($method, "http://$host:$port$o{path}", $res, 'raw')
        if $res->code != 599;
    return $res;
}

# The data of a chunked body (extensions and trailers dropped).
sub dechunk {
    my ($body) = @_;
    my $out = '';
    while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $len = hex $1;
        last if $len == 0;
        $out .= substr($body, 0, $len, '');
        $body =~ s/^\r\n//;
    }
    return $out;
}

sub parse_raw_response {
    my ($in) = @_;
    my ($head, $body) = split /\r?\n\r?\n/, $in, 2;
    $body //= '';
    return HTTP::Response->new(599, 'no response') unless defined $head
        && $head =~ s{^HTTP/\d\.\d\s+(\d{3})[ \t]*([^\r\n]*)\r?\n?}{};
    my ($code, $msg) = ($1, $2);
    my @h;
    for my $line (split /\r?\n/, $head) {
        my ($k, $v) = $line =~ /^([^:]+):\s*(.*?)\s*$/ or next;
        push @h, $k, $v;
    }
    my $res = HTTP::Response->new($code, $msg, \@h);
    $body = dechunk($body)
        if ($res->header('Transfer-Encoding') // '') =~ /chunked/i;
    $res->content($body);
    return $res;
}

# --------------------------------------------------------------- checks

sub decode_body {
    my ($res) = @_;
    my $c = $res->content;
    return undef unless defined $c && length $c;
    my $d = eval { $JSON->decode($c) };
    return $d;
}

sub describe {
    my ($res) = @_;
    my $c = $res->content // '';
    $c = substr($c, 0, 400) . '...' if length $c > 400;
    return sprintf "got: %s\n%s\n%s", $res->status_line,
        $res->headers->as_string, $c;
}

sub common_errors {
    my ($res, $status, $ctype) = @_;
    my @err;
    if (($res->header('Client-Warning') // '') =~ /internal response/i) {
        push @err, 'no answer from the server (LWP internal response)';
    }
    push @err, "status " . $res->code . ", expected $status"
        unless $res->code == $status;
    my $cc = $res->header('Cache-Control') // '';
    push @err, "Cache-Control '$cc' has no no-store"
        unless $cc =~ /(^|[ ,])no-store([ ,;]|$)/i;
    if (defined $ctype) {
        my $ct = $res->header('Content-Type') // '';
        push @err, "Content-Type '$ct', expected $ctype"
            unless $ct =~ m{^\Q$ctype\E\s*(;|$)}i;
    }
    return @err;
}

# A JSON number (not a string) for this member, read in the raw text.
sub raw_number {
    my ($raw, $field) = @_;
    return ($raw // '') =~ /"\Q$field\E"\s*:\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*[,}]/;
}

# ok_json($res, $name, %opt): one test. 200, application/json,
# Cache-Control no-store, body a JSON object.
#   keys => [ ... ]   the exact set of members
#   numbers => [ ... ] members that must be JSON numbers (integers > 0)
#   fields => { k => v } expected values (compared as strings)
#   bools => { k => 0|1 } members that must be JSON booleans of that value
#   absent => [ ... ] members that must not be there
#   headers => { name => value } response headers (undef: must be absent)
# Returns the decoded body (a hash ref, possibly empty).
sub ok_json {
    my ($res, $name, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @err = common_errors($res, $o{status} // 200, 'application/json');
    push @err, header_errors($res, %o);
    my $d = decode_body($res);
    if (ref $d ne 'HASH') {
        push @err, 'body is not a JSON object';
        $d = {};
    }
    else {
        if ($o{keys}) {
            my $want = join ',', sort @{ $o{keys} };
            my $got  = join ',', sort keys %$d;
            push @err, "members {$got}, expected {$want}" if $want ne $got;
        }
        for my $n (@{ $o{numbers} || [] }) {
            push @err, "'$n' is not a positive JSON integer"
                unless raw_number($res->content, $n)
                    && defined $d->{$n} && !ref $d->{$n}
                    && $d->{$n} =~ /^[1-9]\d*$/;
        }
        for my $k (sort keys %{ $o{fields} || {} }) {
            my $want = $o{fields}{$k};
            my $got = $d->{$k};
            push @err, sprintf("'%s' is %s, expected %s", $k,
                               defined $got ? "'$got'" : 'absent', $want)
                unless defined $got && "$got" eq "$want";
        }
        push @err, extra_errors($d, %o);
    }
    $TB->ok(!@err, $name) or $TB->diag(join("\n", @err) . "\n" . describe($res));
    return $d;
}

# The check of the headers option (ok_json, ok_problem).
sub header_errors {
    my ($res, %o) = @_;
    my @err;
    for my $h (sort keys %{ $o{headers} || {} }) {
        my ($want, $got) = ($o{headers}{$h}, $res->header($h));
        if (!defined $want) {
            push @err, "header $h is present ('$got'), expected absent"
                if defined $got;
        }
        elsif (($got // '') ne $want) {
            push @err, "header $h is " . (defined $got ? "'$got'" : 'absent')
                . ", expected '$want'";
        }
    }
    return @err;
}

# The checks of the bools and absent options (ok_json, ok_problem).
sub extra_errors {
    my ($d, %o) = @_;
    my @err;
    for my $k (sort keys %{ $o{bools} || {} }) {
        my $v = $d->{$k};
        push @err, sprintf("'%s' is %s, expected JSON %s", $k,
                           defined $v ? "'$v'" : 'absent',
                           $o{bools}{$k} ? 'true' : 'false')
            unless JSON::is_bool($v) && ($v ? 1 : 0) == ($o{bools}{$k} ? 1 : 0);
    }
    for my $k (@{ $o{absent} || [] }) {
        push @err, "'$k' is present ('" . ($d->{$k} // 'null')
            . "'), expected absent" if exists $d->{$k};
    }
    return @err;
}

sub allow_set {
    my ($v) = @_;
    return join ', ', sort map { uc } grep { length } split /\s*,\s*/, ($v // '');
}

# ok_problem($res, $status, $name, %opt): one test. RFC 9457 problem:
# application/problem+json, Cache-Control no-store, type about:blank,
# a title, status equal to the HTTP status (a JSON number), a detail.
#   field => 'x'      for 422: the field named
#   allow => 'GET, HEAD'  for 405: the Allow header (as a set)
#   head  => 1        a HEAD request: no body expected, only headers
#   fields => { k => v }  extension members (compared as strings)
#   numbers => [ ... ]    members that must be JSON integers > 0
#   absent => [ ... ]     members that must not be there
#   headers => { name => value }  response headers (undef: must be absent)
sub ok_problem {
    my ($res, $status, $name, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @err = common_errors($res, $status, 'application/problem+json');
    push @err, header_errors($res, %o);
    if ($o{head}) {
        push @err, 'HEAD answer has a body'
            if length($res->content // '');
    }
    else {
        my $d = decode_body($res);
        if (ref $d ne 'HASH') {
            push @err, 'body is not a JSON object';
        }
        else {
            push @err, "type is not about:blank"
                unless ($d->{type} // '') eq 'about:blank';
            push @err, 'no title'
                unless defined $d->{title} && !ref $d->{title}
                    && length $d->{title};
            push @err, 'status member is not the JSON number ' . $status
                unless raw_number($res->content, 'status')
                    && ($d->{status} // 0) == $status;
            push @err, 'no detail'
                unless defined $d->{detail} && !ref $d->{detail}
                    && length $d->{detail};
            if (defined $o{field}) {
                push @err, sprintf("field is %s, expected '%s'",
                    defined $d->{field} ? "'$d->{field}'" : 'absent',
                    $o{field})
                    unless ($d->{field} // '') eq $o{field};
            }
            for my $k (sort keys %{ $o{fields} || {} }) {
                my $got = $d->{$k};
                push @err, sprintf("'%s' is %s, expected '%s'", $k,
                                   defined $got ? "'$got'" : 'absent',
                                   $o{fields}{$k})
                    unless defined $got && !ref $got
                        && "$got" eq "$o{fields}{$k}";
            }
            for my $n (@{ $o{numbers} || [] }) {
                push @err, "'$n' is not a positive JSON integer"
                    unless raw_number($res->content, $n)
                        && ($d->{$n} // '') =~ /^[1-9]\d*$/;
            }
            push @err, extra_errors($d, %o);
        }
    }
    if (defined $o{allow}) {
        my $got = allow_set($res->header('Allow'));
        my $want = allow_set($o{allow});
        push @err, "Allow '" . ($res->header('Allow') // '') .
            "', expected '$o{allow}'" if $got ne $want;
    }
    $TB->ok(!@err, $name) or $TB->diag(join("\n", @err) . "\n" . describe($res));
    return decode_body($res);
}

# ok_allow: a 405 with this Allow header (one test).
sub ok_allow {
    my ($res, $allow, $name, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok_problem($res, 405, $name, allow => $allow, %o);
}

# ok_head($res, $status, $name): one test. A HEAD answer: that status,
# Cache-Control no-store, the content type of the GET answer, no body.
sub ok_head {
    my ($res, $status, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ct = $status == 200 ? 'application/json' : 'application/problem+json';
    my @err = common_errors($res, $status, $ct);
    push @err, 'HEAD answer has a body' if length($res->content // '');
    $TB->ok(!@err, $name) or $TB->diag(join("\n", @err) . "\n" . describe($res));
}

# ------------------------------------------------------------- database

my $DBH;

sub dsn_from_db_conf {
    my $file = Apache::Test::vars('t_conf') . '/db.conf';
    open my $fh, '<', $file or return;
    my ($driver, $params);
    while (<$fh>) {
        $driver = $1 if /^\s*DBDriver\s+"?([^"\s]+)/i;
        $params = $1 // $2 if /^\s*DBDParams\s+(?:"([^"]*)"|(\S+))/i;
    }
    return unless $driver && defined $params;
    if ($driver eq 'sqlite3') {
        return ("dbi:SQLite:dbname=$params", '', '');
    }
    my %p = map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } split ' ', $params;
    if ($driver eq 'pgsql') {
        my @a = map { "$_=$p{$_}" } grep { defined $p{$_} }
            qw(host port dbname);
        return ('dbi:Pg:' . join(';', @a), $p{user} // '',
                $p{password} // '');
    }
    if ($driver eq 'mysql') {
        my $drv = eval { require DBD::MariaDB; 1 } ? 'MariaDB' : 'mysql';
        my @a = ("database=" . ($p{dbname} // ''));
        push @a, "host=$p{host}" if defined $p{host};
        push @a, "port=$p{port}" if defined $p{port};
        push @a, lc($drv) . "_socket=$p{sock}" if defined $p{sock};
        return ("dbi:$drv:" . join(';', @a), $p{user} // '', $p{pass} // '');
    }
    return;
}

# In a forked child: forget the parent's handle (AutoInactiveDestroy keeps
# the parent's connection open), so the next dbh() connects afresh.
sub dbh_after_fork { undef $DBH; }

sub dbh {
    return $DBH if $DBH && $DBH->{Active};
    my ($dsn, $user, $pass) = ($ENV{CHARON_TEST_DSN},
        $ENV{CHARON_TEST_DBUSER} // '', $ENV{CHARON_TEST_DBPASS} // '');
    ($dsn, $user, $pass) = dsn_from_db_conf() unless $dsn;
    die "CharonTest: no database: set CHARON_TEST_DSN (and "
      . "CHARON_TEST_DBUSER, CHARON_TEST_DBPASS)\n" unless $dsn;
    # Character strings in and out on every driver: slugs and messages
    # are passed as decoded strings, and read back as such.
    my %attr = (RaiseError => 1, PrintError => 0, AutoCommit => 1,
                AutoInactiveDestroy => 1);
    $attr{sqlite_unicode} = 1        if $dsn =~ /^dbi:SQLite:/i;
    $attr{pg_enable_utf8} = 1        if $dsn =~ /^dbi:Pg:/i;
    $attr{mysql_enable_utf8mb4} = 1  if $dsn =~ /^dbi:mysql:/i;
    $DBH = DBI->connect($dsn, $user, $pass, \%attr) or die "CharonTest: cannot connect to $dsn: $DBI::errstr\n";
    my $drv = $DBH->{Driver}{Name};
    if ($drv eq 'Pg') {
        $DBH->do(q{SET TIME ZONE 'UTC'});
    }
    elsif ($drv eq 'SQLite') {
        $DBH->sqlite_busy_timeout(30_000);
    }
    elsif ($drv eq 'MariaDB' || $drv eq 'mysql') {
        $DBH->do(q{SET time_zone = '+00:00'});
        $DBH->do(q{SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED});
    }
    return $DBH;
}

# A byte string (UTF-8) as a character string, for DBI.
sub chars {
    my ($s) = @_;
    utf8::decode($s) unless utf8::is_utf8($s);
    return $s;
}

sub cron_id {
    my ($slug) = @_;
    $slug = chars($slug);
    my ($id) = dbh()->selectrow_array(
        'SELECT id FROM charon_cron WHERE slug = ?', undef, $slug);
    return $id;
}

# Removes a cron this suite seeded earlier (a previous run against the
# same database), with its executions and messages.
sub purge_cron {
    my ($slug) = @_;
    $slug = chars($slug);
    my $d = dbh();
    my $ids = $d->selectcol_arrayref(
        'SELECT id FROM charon_cron WHERE slug = ?', undef, $slug);
    for my $cid (@$ids) {
        my $eids = $d->selectcol_arrayref(
            'SELECT id FROM charon_execution WHERE cron_id = ?', undef, $cid);
        for my $eid (@$eids) {
            $d->do('DELETE FROM charon_message WHERE execution_id = ?',
                   undef, $eid);
        }
        $d->do('DELETE FROM charon_execution WHERE cron_id = ?', undef, $cid);
        # The test's own connection may not enforce the foreign keys
        # (SQLite): a reused id must not find another cron's rows.
        $d->do("DELETE FROM $_ WHERE cron_id = ?", undef, $cid)
            for qw(charon_cron_watch charon_cron_stats);
        $d->do('DELETE FROM charon_cron WHERE id = ?', undef, $cid);
    }
}

# seed_cron($slug, $active[, $name]) -> the new cron's id
sub seed_cron {
    my ($slug, $active, $name) = @_;
    purge_cron($slug);
    $slug = chars($slug);
    dbh()->do('INSERT INTO charon_cron (slug, name, active) VALUES (?, ?, ?)',
              undef, $slug, $name // "Test cron $slug", $active ? 1 : 0);
    my $id = cron_id($slug);
    die "CharonTest: seeded cron '$slug' not found\n" unless $id;
    return $id;
}

sub set_active {
    my ($cron_id, $active) = @_;
    dbh()->do('UPDATE charon_cron SET active = ? WHERE id = ?', undef,
              $active ? 1 : 0, $cron_id);
}

sub execution {
    my ($id) = @_;
    return dbh()->selectrow_hashref(
        'SELECT id, cron_id, started_at, ended_at, success, type, api_key, '
      . 'remote_addr FROM charon_execution WHERE id = ?', undef, $id);
}

sub executions_of {
    my ($cron_id) = @_;
    return dbh()->selectall_arrayref(
        'SELECT id, cron_id, started_at, ended_at, success, type, api_key, '
      . 'remote_addr FROM charon_execution WHERE cron_id = ? ORDER BY id',
        { Slice => {} }, $cron_id);
}

sub count_executions {
    my ($cron_id) = @_;
    my ($n) = dbh()->selectrow_array(
        'SELECT COUNT(*) FROM charon_execution WHERE cron_id = ?', undef,
        $cron_id);
    return 0 + $n;
}

sub count_all_executions {
    my ($n) = dbh()->selectrow_array('SELECT COUNT(*) FROM charon_execution');
    return 0 + $n;
}

sub max_execution_id {
    my ($n) = dbh()->selectrow_array('SELECT MAX(id) FROM charon_execution');
    return 0 + ($n // 0);
}

sub messages_of {
    my ($exec_id) = @_;
    my $rows = dbh()->selectall_arrayref(
        'SELECT id, execution_id, type, message, created_at FROM charon_message '
      . 'WHERE execution_id = ? ORDER BY id', { Slice => {} }, $exec_id);
    # Bytes, whatever the driver's idea of character strings.
    for my $r (@$rows) {
        utf8::encode($r->{message}) if defined $r->{message}
            && utf8::is_utf8($r->{message});
    }
    return $rows;
}

sub count_messages {
    my ($exec_id) = @_;
    my ($n) = dbh()->selectrow_array(
        'SELECT COUNT(*) FROM charon_message WHERE execution_id = ?', undef,
        $exec_id);
    return 0 + $n;
}

# A timestamp as read from any of the three databases, as epoch seconds
# (UTC; the connection runs in UTC).  undef if it cannot be parsed.
sub ts_epoch {
    my ($s) = @_;
    return undef unless defined $s;
    my ($Y, $M, $D, $h, $m, $sec, $frac, $tz) = $s =~
        /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?\s*(Z|[-+]\d\d(?::?\d\d)?)?$/
        or return undef;
    my $t = Time::Local::timegm($sec, $m, $h, $D, $M - 1, $Y) + ($frac // 0);
    if (defined $tz && $tz ne 'Z') {
        my ($sign, $th, $tm) = $tz =~ /^([-+])(\d\d):?(\d\d)?$/;
        my $off = $th * 3600 + ($tm // 0) * 60;
        $t -= $sign eq '+' ? $off : -$off;
    }
    return $t;
}

# True when the timestamp is within $slack seconds of now (UTC).
sub ts_recent {
    my ($s, $slack) = @_;
    my $t = ts_epoch($s);
    return defined $t && abs($t - time) <= ($slack // 300);
}

# ------------------------------------------------------------- shortcuts

# start_exec($cron_id[, key, mount]) -> execution id (undef and a diag on
# failure; emits no test).
sub start_exec {
    my ($cron_id, $key, $mount) = @_;
    my $res = req(GET => ($mount // '/api/') . "$cron_id/start",
                  key => $key // KEY_CLEAR);
    my $d = decode_body($res);
    if ($res->code == 200 && ref $d eq 'HASH' && ($d->{id} // '') =~ /^\d+$/) {
        return $d->{id};
    }
    $TB->diag("start of cron $cron_id failed: " . describe($res));
    return undef;
}

# end_exec($exec_id, \%body[, key]) -> HTTP::Response
sub end_exec {
    my ($exec_id, $body, $key) = @_;
    return req(POST => "/api/$exec_id/end", key => $key // KEY_CLEAR,
               json => $body // { type => 'success', success => JSON::true });
}

# ---------------------------------------------------------- run control

sub hires_time { Time::HiRes::time() }

# The database under test: 'sqlite', 'pgsql' or 'mysql' (MariaDB too).
sub db_kind {
    my $drv = dbh()->{Driver}{Name};
    return $drv eq 'SQLite' ? 'sqlite' : $drv eq 'Pg' ? 'pgsql' : 'mysql';
}

# The database's clock, as epoch seconds (with a fraction): the module
# compares times in SQL, so times the tests write are taken from it.
sub db_now {
    my $k = db_kind();
    my $sql = $k eq 'pgsql' ? 'SELECT EXTRACT(EPOCH FROM clock_timestamp())'
            : $k eq 'mysql' ? 'SELECT UNIX_TIMESTAMP(NOW(6))'
            : q{SELECT (julianday('now') - 2440587.5) * 86400.0};
    my ($t) = dbh()->selectrow_array($sql);
    return 0 + $t;
}

# db_ts($epoch): that time (UTC) as a literal the database stores in its
# own format: PostgreSQL timestamptz 'YYYY-MM-DD HH:MM:SS.ffffff+00',
# MySQL DATETIME(6) 'YYYY-MM-DD HH:MM:SS.ffffff', SQLite text
# 'YYYY-MM-DD HH:MM:SS.SSS'. undef stays undef (NULL).
sub db_ts {
    my ($t) = @_;
    return undef unless defined $t;
    my $us = POSIX::floor($t * 1e6 + 0.5);
    my $whole = POSIX::floor($us / 1e6);
    $us -= $whole * 1e6;
    my @g = gmtime $whole;
    my $base = sprintf '%04d-%02d-%02d %02d:%02d:%02d', $g[5] + 1900,
        $g[4] + 1, @g[3, 2, 1, 0];
    my $k = db_kind();
    return sprintf('%s.%06d+00', $base, $us) if $k eq 'pgsql';
    return sprintf('%s.%06d', $base, $us)    if $k eq 'mysql';
    return sprintf('%s.%03d', $base, POSIX::floor($us / 1000));
}

# iso_z($epoch): 'YYYY-MM-DDTHH:MM:SSZ', the fraction dropped.
sub iso_z {
    my ($t) = @_;
    return undef unless defined $t;
    my @g = gmtime POSIX::floor($t);
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $g[5] + 1900, $g[4] + 1,
        @g[3, 2, 1, 0];
}

my %CRON_COLS = map { $_ => 1 } qw(active concurrency max_runtime off_reason
    off_until refused_inactive refused_locked);

# set_cron($cron_id, col => value, ...): concurrency, max_runtime,
# off_reason, off_until (epoch seconds, written in the database's format;
# undef: NULL), active (true/false), refused_inactive, refused_locked.
sub set_cron {
    my ($cron_id, %c) = @_;
    my (@set, @bind);
    for my $col (sort keys %c) {
        die "CharonTest::set_cron: unknown column $col\n" unless $CRON_COLS{$col};
        my $v = $c{$col};
        $v = db_ts($v) if $col eq 'off_until';
        $v = $v ? 1 : 0 if $col eq 'active';
        push @set, "$col = ?";
        push @bind, $v;
    }
    return unless @set;
    dbh()->do('UPDATE charon_cron SET ' . join(', ', @set) . ' WHERE id = ?',
              undef, @bind, $cron_id);
}

# The run-control columns of a cron (active as 0/1, counters as numbers).
sub cron_row {
    my ($cron_id) = @_;
    my $r = dbh()->selectrow_hashref(
        'SELECT id, slug, CASE WHEN active THEN 1 ELSE 0 END AS active, '
      . 'concurrency, max_runtime, off_reason, off_until, refused_inactive, '
      . 'refused_locked FROM charon_cron WHERE id = ?', undef, $cron_id);
    if ($r) {
        $r->{$_} = 0 + ($r->{$_} // 0)
            for qw(active refused_inactive refused_locked);
    }
    return $r;
}

# refused($cron_id) -> (refused_inactive, refused_locked)
sub refused {
    my $r = cron_row($_[0]) || {};
    return ($r->{refused_inactive}, $r->{refused_locked});
}

# An execution with its run-control columns (forbid_overlap as 0/1).
sub execution_rc {
    my ($id) = @_;
    return dbh()->selectrow_hashref(
        'SELECT id, cron_id, started_at, ended_at, success, type, '
      . 'CASE WHEN forbid_overlap THEN 1 ELSE 0 END AS forbid_overlap, '
      . 'lost_at FROM charon_execution WHERE id = ?', undef, $id);
}

my @EXEC_COLS = qw(cron_id started_at ended_at success type api_key
                   remote_addr forbid_overlap lost_at);

sub exec_values {
    my ($cron_id, $e) = @_;
    my %v = (cron_id => $cron_id, api_key => 'app-test',
             remote_addr => '127.0.0.1', forbid_overlap => 0, %$e);
    $v{$_} = db_ts($v{$_}) for qw(started_at ended_at lost_at);
    $v{started_at} //= db_ts(db_now());
    for (qw(success forbid_overlap)) {
        $v{$_} = $v{$_} ? 1 : 0 if defined $v{$_};
    }
    return map { $v{$_} } @EXEC_COLS;
}

sub insert_one {
    my ($sth, @v) = @_;
    my $d = dbh();
    if (db_kind() eq 'pgsql') {
        $sth->execute(@v);
        my ($id) = $sth->fetchrow_array;
        $sth->finish;
        return $id;
    }
    $sth->execute(@v);
    return $d->last_insert_id(undef, undef, 'charon_execution', 'id');
}

sub insert_sql {
    return 'INSERT INTO charon_execution (' . join(', ', @EXEC_COLS)
         . ') VALUES (' . join(', ', ('?') x @EXEC_COLS) . ')'
         . (db_kind() eq 'pgsql' ? ' RETURNING id' : '');
}

# insert_execution($cron_id, started_at => epoch, ended_at => epoch,
# success => 0|1, type => ..., lost_at => epoch, forbid_overlap => 0|1)
# -> the new execution's id. Written directly, as a past run would be.
sub insert_execution {
    my ($cron_id, %e) = @_;
    my $sth = dbh()->prepare(insert_sql());
    return insert_one($sth, exec_values($cron_id, \%e));
}

# insert_executions($cron_id, [ {...}, ... ]) -> [ids]: all of them in one
# transaction (they appear at once to the module), in that order. A row's
# messages => [ [type, text], ... ] are inserted with it.
sub insert_executions {
    my ($cron_id, $rows) = @_;
    my $d = dbh();
    my @ids;
    $d->begin_work;
    my $ok = eval {
        my $sth = $d->prepare(insert_sql());
        for my $row (@$rows) {
            my %e = %$row;
            my $msgs = delete $e{messages} || [];
            my $id = insert_one($sth, exec_values($cron_id, \%e));
            insert_message($id, @$_) for @$msgs;
            push @ids, $id;
        }
        1;
    };
    if (!$ok) {
        my $err = $@;
        eval { $d->rollback };
        die $err;
    }
    $d->commit;
    return \@ids;
}

# insert_message($exec_id, $type, $text) -> the message's id
sub insert_message {
    my ($exec_id, $type, $text) = @_;
    my $d = dbh();
    if (db_kind() eq 'pgsql') {
        my ($id) = $d->selectrow_array(
            'INSERT INTO charon_message (execution_id, type, message) '
          . 'VALUES (?, ?, ?) RETURNING id', undef, $exec_id, $type, $text);
        return $id;
    }
    $d->do('INSERT INTO charon_message (execution_id, type, message) '
         . 'VALUES (?, ?, ?)', undef, $exec_id, $type, $text);
    return $d->last_insert_id(undef, undef, 'charon_message', 'id');
}

# ------------------------------------------------------------- schedules

# set_schedule($cron_id, $schedule, $timezone, $grace[, $min_runtime]):
# written by SQL, as an operator would.
sub set_schedule {
    my ($cron_id, $schedule, $tz, $grace, $min) = @_;
    dbh()->do('UPDATE charon_cron SET schedule = ?, timezone = ?, grace = ?, '
            . 'min_runtime = ? WHERE id = ?', undef, $schedule, $tz,
              $grace // 300, $min, $cron_id);
}

# The watchdog's row for a cron, its times as epoch seconds.
sub watch_row {
    my ($cron_id) = @_;
    my $r = dbh()->selectrow_hashref(
        'SELECT cron_id, schedule, timezone, grace, checked_until, '
      . 'starts_until, off_seen, next_slot, next_deadline, last_slot, '
      . 'last_state, error FROM charon_cron_watch WHERE cron_id = ?',
        undef, $cron_id);
    return undef unless $r;
    $r->{$_} = ts_epoch($r->{$_})
        for qw(checked_until starts_until off_seen next_slot next_deadline
               last_slot);
    return $r;
}

# Waits until the watchdog watches the cron's current schedule: the row.
sub wait_watched {
    my ($cron_id, $timeout) = @_;
    my ($schedule) = dbh()->selectrow_array(
        'SELECT schedule FROM charon_cron WHERE id = ?', undef, $cron_id);
    return wait_until(sub {
        my $w = watch_row($cron_id);
        $w && defined $schedule && $w->{schedule} eq $schedule ? $w : undef;
    }, $timeout // 15);
}

# rewind_watch($cron_id, $t0): moves what the watchdog has judged of the
# cron back to $t0 (epoch seconds), as if it had last looked then; waits
# until it has judged again (checked_until moved past $t0), and returns
# the row then (undef when it did not within the timeout).
sub rewind_watch {
    my ($cron_id, $t0, $timeout) = @_;
    my $ts = db_ts($t0);
    dbh()->do('UPDATE charon_cron_watch SET checked_until = ?, '
            . 'starts_until = ?, next_deadline = ?, off_seen = NULL, '
            . 'last_state = NULL, last_slot = NULL WHERE cron_id = ?',
              undef, $ts, $ts, $ts, $cron_id);
    return wait_until(sub {
        my $w = watch_row($cron_id);
        $w && $w->{checked_until} > $t0 ? $w : undef;
    }, $timeout // 20);
}

# The rows the watchdog made for a cron's slots: [ {slot, started_at,
# ended_at (epochs), missed, success} ... ] by slot.
sub slot_rows {
    my ($cron_id) = @_;
    my $rows = dbh()->selectall_arrayref(
        'SELECT id, slot, started_at, ended_at, missed, success, api_key '
      . 'FROM charon_execution WHERE cron_id = ? AND missed IS NOT NULL '
      . 'ORDER BY slot', { Slice => {} }, $cron_id);
    for my $r (@$rows) {
        $r->{$_} = ts_epoch($r->{$_}) for qw(slot started_at ended_at);
    }
    return $rows;
}

# An execution's schedule columns: slot (epoch), unscheduled, too_short
# (0/1), missed.
sub exec_sched {
    my ($id) = @_;
    my $r = dbh()->selectrow_hashref(
        'SELECT id, slot, missed, CASE WHEN unscheduled THEN 1 ELSE 0 END AS '
      . 'unscheduled, CASE WHEN too_short THEN 1 ELSE 0 END AS too_short '
      . 'FROM charon_execution WHERE id = ?', undef, $id);
    $r->{slot} = ts_epoch($r->{slot}) if $r;
    return $r;
}

# A cron's charon_cron_stats row (counters as numbers, 0 when none).
sub cron_stats {
    my ($cron_id) = @_;
    my $r = dbh()->selectrow_hashref(
        'SELECT runs_missed, runs_unknown, runs_unscheduled, last_missed_at '
      . 'FROM charon_cron_stats WHERE cron_id = ?', undef, $cron_id) || {};
    $r->{$_} = 0 + ($r->{$_} // 0)
        for qw(runs_missed runs_unknown runs_unscheduled);
    $r->{last_missed_at} = ts_epoch($r->{last_missed_at});
    return $r;
}

# wait_until($code, $timeout[, $interval]): calls $code until it returns
# a true value (returned) or $timeout seconds have passed (then the last
# value is returned).
sub wait_until {
    my ($code, $timeout, $interval) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (1) {
        my $v = $code->();
        return $v if $v;
        return $v if Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep($interval // 0.2);
    }
}

# fork_race($n, $make): runs $make->($i) for i in 0..n-1 in n child
# processes released at the same moment. Returns their HTTP::Responses,
# in order (code 599 when a child returned nothing). Call ua() before.
# build_charon_run($dir) -> ($binary, $build_log): charon-run built into
# $dir from the tree's tools/*.c and the module's schedules (cc -Werror,
# libcurl, json-c, ICU), so that the suite tests the sources of the tree;
# CHARON_RUN_BIN=/path/to/charon-run tests another build.  $binary is
# there (-x) when the build worked.
sub build_charon_run {
    my ($dir) = @_;
    return ($ENV{CHARON_RUN_BIN}, '') if $ENV{CHARON_RUN_BIN};
    require FindBin;
    my $top = "$FindBin::Bin/..";    # t/*.t are the callers
    my $bin = "$dir/charon-run";
    my @src = (glob("'$top/tools/'*.c"),
               map { "'$top/src/lib/$_.c'" } qw(schedule slots civil));
    my $icu = `pkg-config --libs icu-i18n 2>/dev/null`;
    chomp $icu;
    $icu ||= '-licui18n -licuuc -licudata';
    my $log = @src > 3
        ? `cc -Wall -Wextra -Werror -O2 -I'$top/src' -o '$bin' @src -lcurl -ljson-c $icu 2>&1`
        : "no tools/*.c in $top";
    return ($bin, $log);
}

sub fork_race {
    my ($n, $make) = @_;
    ua();
    pipe(my $go_r, my $go_w) or die "pipe: $!";
    my @kids;
    for my $i (0 .. $n - 1) {
        pipe(my $res_r, my $res_w) or die "pipe: $!";
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            close $go_w;
            close $res_r;
            dbh_after_fork();
            my $buf;
            sysread $go_r, $buf, 1;              # EOF when the parent says go
            my $res = eval { $make->($i) };
            my $out = $res
                ? join('', $res->code, ' ', $res->message // '', "\n",
                       $res->headers->as_string("\n"), "\n",
                       $res->content // '')
                : "599 child failed\n\n$@";
            my $off = 0;
            while ($off < length $out) {
                my $w = syswrite $res_w, $out, length($out) - $off, $off;
                last unless $w;
                $off += $w;
            }
            close $res_w;
            POSIX::_exit(0);
        }
        close $res_w;
        push @kids, [$pid, $res_r];
    }
    close $go_r;
    close $go_w;                                  # go
    my @out;
    for my $k (@kids) {
        my ($pid, $fh) = @$k;
        binmode $fh;
        my $all = do { local $/; <$fh> } // '';
        close $fh;
        waitpid $pid, 0;
        my $res;
        if ($all =~ s/^(\d{3}) ([^\n]*)\n//) {
            my ($code, $msg) = ($1, $2);
            my ($head, $body) = split /\n\n/, "\n$all", 2;
            my @h = map { /^([^:]+):\s*(.*)$/ ? ($1, $2) : () }
                    split /\n/, $head;
            $res = HTTP::Response->new($code, $msg, \@h, $body // '');
        }
        $res ||= HTTP::Response->new(599, 'no answer from the child');
        check_leak($res, "raced request $#out");
        push @out, $res;
    }
    return @out;
}

1;
