# Hostile input: replays the corpus of raw requests kept in t/corpus/ (the
# format is described in t/corpus/README) against the running server, one
# raw TCP connection per entry.
#
# For each entry, one test: the status is one of those the entry allows;
# an answer of mod_charon is well formed (JSON, problem document for an
# error, Cache-Control: no-store); no 5xx unless the entry marks it as
# httpd's own answer; the headers and body parts the entry names. An entry
# with "db:" lines gets a second test: what the database holds afterwards.
# At the end: the tables are still there and hold what was seeded, the
# shared executions are untouched, httpd logged no crash and gave every
# request a status, and no response echoed a key.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

use Errno ();
use IO::Select;
use IO::Socket::INET;
use JSON ();
use Socket qw(SHUT_WR);
use Time::HiRes ();

my $CORPUS = "$FindBin::Bin/corpus";
my $JSON = JSON->new->utf8->allow_nonref;

# ------------------------------------------------------------ the corpus

# Reads every t/corpus/*.txt (format: t/corpus/README). The request lines
# are kept as written; escapes and placeholders are expanded later (they
# need the fixtures).
sub parse_corpus {
    my @entries;
    my %seen;
    opendir my $dh, $CORPUS or die "hostile.t: cannot read $CORPUS: $!\n";
    my @files = sort grep { /\.txt\z/ } readdir $dh;
    closedir $dh;
    die "hostile.t: no *.txt file in $CORPUS\n" unless @files;
    for my $file (@files) {
        (my $category = $file) =~ s/\.txt\z//;
        open my $fh, '<:raw', "$CORPUS/$file" or die "$CORPUS/$file: $!\n";
        my $e;
        my $finish = sub {
            return unless $e;
            my $where = "$file, entry '$e->{name}'";
            die "hostile.t: $where: no 'expect:' line\n" unless $e->{expect};
            die "hostile.t: $where: no request ('>' lines)\n"
                unless @{ $e->{lines} };
            push @entries, $e;
            $e = undef;
        };
        while (my $line = <$fh>) {
            $line =~ s/\r?\n\z//;
            my $where = "$file line $.";
            if ($line =~ /^===\s+(\S+)\s*$/) {
                $finish->();
                my $name = $1;
                die "hostile.t: $where: bad entry name '$name'\n"
                    unless $name =~ /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
                die "hostile.t: $where: entry '$name' given twice\n"
                    if $seen{$name}++;
                $e = { name => $name, category => $category, file => $file,
                       line => $., lines => [], header => [], noheader => [],
                       bodyhas => [], db => [], seed => undef };
                next;
            }
            if ($line =~ /^>/) {
                die "hostile.t: $where: request line outside an entry\n"
                    unless $e;
                (my $l = $line) =~ s/^> ?//;
                push @{ $e->{lines} }, $l;
                next;
            }
            next if $line =~ /^\s*(#|$)/;
            die "hostile.t: $where: text outside an entry\n" unless $e;
            die "hostile.t: $where: metadata after the request\n"
                if @{ $e->{lines} };
            my ($k, $v) = $line =~ /^([a-z-]+):[ \t]?(.*)$/
                or die "hostile.t: $where: cannot read '$line'\n";
            if ($k eq 'expect') {
                my %x = (module => {}, httpd => {}, none => 0);
                for my $w (split /[\s,]+/, $v) {
                    if ($w =~ /^([1-5]\d\d)$/) {
                        die "hostile.t: $where: mod_charon must never answer "
                          . "$1 here (a 5xx from the module is a bug)\n"
                            if $1 >= 500;
                        $x{module}{$1} = 1;
                    }
                    elsif ($w =~ /^httpd:([1-5]\d\d)$/) { $x{httpd}{$1} = 1 }
                    elsif ($w eq 'none')                { $x{none} = 1 }
                    else { die "hostile.t: $where: bad status '$w'\n" }
                }
                $e->{expect} = \%x;
                $e->{expect_text} = $v;
            }
            elsif ($k eq 'seed')      { $e->{seed} = $v }
            elsif ($k eq 'header')    { push @{ $e->{header} }, $v }
            elsif ($k eq 'no-header') { push @{ $e->{noheader} }, $v }
            elsif ($k eq 'body-has')  { push @{ $e->{bodyhas} }, $v }
            elsif ($k eq 'db') {
                die "hostile.t: $where: bad db check '$v'\n" unless
                    $v =~ /^(messages \d+|message .*|message-type \w+|running|ended [01] \w+|executions \+\d+)$/s;
                push @{ $e->{db} }, $v;
            }
            else { die "hostile.t: $where: unknown key '$k'\n" }
        }
        $finish->();
        close $fh;
    }
    return @entries;
}

my @entries = parse_corpus();

# --------------------------------------------------------- the fixtures

# The logs are read from here on: what the replay (fixtures included) added.
my $logs = Apache::Test::vars('t_logs');
my $error_log = "$logs/error_log";
my $access_log = "$logs/access_log";
my $error_off = -s $error_log // 0;
my $access_off = -s $access_log // 0;

my $host = Apache::TestRequest::hostport();
my ($port) = $host =~ /:(\d+)$/ or die "hostile.t: bad hostport $host\n";
my $addr = Apache::Test::vars('remote_addr') || '127.0.0.1';

my %fix = (
    HOST => $host, MOUNT => '/api/', SMALL => '/small/',
    KEY => KEY_CLEAR, KEY_SMALL => KEY_SMALL, KEY_SCOPED => KEY_SCOPED,
    SLUG => 'hostile-active', INACTIVE_SLUG => 'hostile-inactive',
);
$fix{CRON}     = seed_cron($fix{SLUG}, 1);
$fix{INACTIVE} = seed_cron($fix{INACTIVE_SLUG}, 0);
$fix{RUNNING}  = start_exec($fix{CRON}) // 0;
$fix{ENDED}    = start_exec($fix{CRON}) // 0;
end_exec($fix{ENDED}, { type => 'warning', success => JSON::false,
                        message => 'ended before the replay' });
my $ended_before = execution($fix{ENDED});
my ($max_cron) = dbh()->selectrow_array('SELECT MAX(id) FROM charon_cron');
$fix{NOCRON} = $max_cron + 1_000_000;
$fix{NOEXEC} = max_execution_id() + 1_000_000;

# Expands {PLACEHOLDER}s, then \xNN escapes. {LEN} is left as a marker
# (a wide character, which no byte string holds) and filled in last.
my $LEN_MARK = "\x{2400}";
sub placeholder {
    my ($n, $a, $vars, $where) = @_;
    return $LEN_MARK if $n eq 'LEN' && !defined $a;
    if ($n eq 'REPEAT') {
        my ($count, $text) = ($a // '') =~ /^(\d+):(.*)$/s
            or die "hostile.t: $where: {REPEAT:count:text}\n";
        return $text x $count;
    }
    if ($n eq 'CHUNKS') {
        my ($count, $size, $text) = ($a // '') =~ /^(\d+):(\d+):(.+)$/s
            or die "hostile.t: $where: {CHUNKS:count:size:text}\n";
        my $data = substr($text x (int($size / length($text)) + 1), 0, $size);
        return join '', map { sprintf('%x\\x0D\\x0A', $size) . $data
                              . '\\x0D\\x0A' } 1 .. $count;
    }
    die "hostile.t: $where: unknown placeholder {$n:...}\n" if defined $a;
    die "hostile.t: $where: unknown placeholder {$n}\n"
        unless exists $vars->{$n};
    die "hostile.t: $where: {$n} is not available here (only with a "
      . "'seed:' line)\n" unless defined $vars->{$n};
    return $vars->{$n};
}

sub expand {
    my ($s, $vars, $where) = @_;
    $s =~ s/\{([A-Z][A-Z0-9_]*)(?::([^\x7D]*))?\}/placeholder($1, $2, $vars, $where)/ge;
    $s =~ s/\\x([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

# The request template: every '>' line ends with CRLF, except a line whose
# last character is a backslash (removed), which runs into the next one.
sub template {
    my ($e) = @_;
    my $t = '';
    for my $l (@{ $e->{lines} }) {
        if ($l =~ /\\\z/) { $t .= substr($l, 0, -1) }
        else              { $t .= "$l\r\n" }
    }
    return $t;
}

sub uses { my ($e, $name) = @_;
    return scalar grep { /\{\Q$name\E\}/ } @{ $e->{lines} }, @{ $e->{bodyhas} },
        @{ $e->{header} }, @{ $e->{db} } }

# Seeds every cron the corpus asks for, before the replay: the number of
# crons is then known, and must not change.
for my $e (@entries) {
    next unless defined $e->{seed};
    my $where = "$e->{file}, entry '$e->{name}'";
    my $slug = expand($e->{seed}, \%fix, $where);
    die "hostile.t: $where: {LEN} in seed\n" if $slug =~ /\Q$LEN_MARK\E/;
    $e->{seed_slug} = $slug;
    $e->{seed_id} = seed_cron($slug, 1, "hostile seed $e->{name}");
}
my %seeded = map { $_->{seed_id} => $_->{seed_slug} }
             grep { defined $_->{seed_id} } @entries;
my ($crons_before) = dbh()->selectrow_array('SELECT COUNT(*) FROM charon_cron');

# ------------------------------------------------------------ the wire

# Sends the bytes, half-closes (so a server waiting for more of a truncated
# request sees the end at once), reads the answer until the server closes.
# Writing and reading are interleaved: a server may answer and close
# without reading a large body.
sub exchange {
    my ($bytes) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $port,
                                     Proto => 'tcp', Timeout => 30)
        or return (undef, "connect: $!");
    binmode $sock;
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';
    my ($off, $in, $wdone, $err) = (0, '', 0, '');
    my $deadline = Time::HiRes::time() + 60;
    my $sel = IO::Select->new($sock);
    while (Time::HiRes::time() < $deadline) {
        if (!$wdone && $off >= length $bytes) {
            shutdown($sock, SHUT_WR);
            $wdone = 1;
        }
        my ($r, $w) = IO::Select->select($sel, $wdone ? undef : $sel, undef, 1);
        if ($w && @$w) {
            my $n = syswrite($sock, $bytes, 65536, $off);
            if (defined $n) { $off += $n }
            elsif (!$!{EAGAIN} && !$!{EWOULDBLOCK} && !$!{EINTR}) {
                $err = "write stopped at $off of " . length($bytes)
                     . " bytes: $!";
                $wdone = 1;
            }
        }
        if ($r && @$r) {
            my $n = sysread($sock, $in, 65536, length $in);
            if (defined $n) { last if $n == 0 }
            elsif (!$!{EAGAIN} && !$!{EWOULDBLOCK} && !$!{EINTR}) {
                $err .= ($err ? '; ' : '') . "read: $!";
                last;
            }
        }
    }
    close $sock;
    return ($in, $err);
}

# { status => NNN or undef, reason, headers => { lc name => [values] },
#   body, raw }. 1xx interim answers are skipped.
sub parse_response {
    my ($raw) = @_;
    my $rest = $raw;
    my %res = (raw => $raw, headers => {}, body => $raw);
    while ($rest =~ s{^HTTP/\d\.\d (\d{3})[^\r\n]*\r?\n}{}) {
        my $status = $1;
        my %h;
        while ($rest =~ s/^([^\r\n]*)\r?\n//) {
            my $l = $1;
            last if $l eq '';
            my ($k, $v) = $l =~ /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
            push @{ $h{lc $k} }, $v;
        }
        next if $status =~ /^1/;
        my $body = $rest;
        $body = CharonTest::dechunk($body)
            if grep { /chunked/i } @{ $h{'transfer-encoding'} || [] };
        %res = (%res, status => $status, headers => \%h, body => $body);
        last;
    }
    return \%res;
}

sub header_set {
    my ($v) = @_;
    return join ', ', sort grep { length } map { s/^\s+|\s+$//gr }
        split /,/, $v;
}

sub short {
    my ($s, $max) = @_;
    $max //= 600;
    $s = substr($s, 0, $max) . '...(' . length($s) . ' bytes)'
        if length $s > $max;
    $s =~ s/([^\x20-\x7e\n])/sprintf '\\x%02X', ord $1/ge;
    return $s;
}

# ------------------------------------------------------------ the tests

my $n_db = grep { @{ $_->{db} } } @entries;
plan tests => @entries + $n_db + 7;

sub log_since {
    my ($file, $off) = @_;
    open my $fh, '<:raw', $file or return '';
    seek $fh, $off, 0;
    local $/;
    return <$fh> // '';
}
my @leaks;
my %by_category;

for my $e (@entries) {
    my $where = "$e->{file}, entry '$e->{name}'";
    my %v = %fix;
    $v{SEED} = $e->{seed_id};
    if (uses($e, 'EXEC')) {
        $v{EXEC} = start_exec($fix{CRON}) // 0;
    }
    else {
        $v{EXEC} = undef;
    }
    $e->{vars} = \%v;

    my $req = expand(template($e), \%v, $where);
    if ($req =~ /\Q$LEN_MARK\E/) {
        my $i = index($req, "\r\n\r\n");
        die "hostile.t: $where: {LEN} without a head/body separator\n"
            if $i < 0;
        my $body_len = length(substr($req, $i + 4));
        $req =~ s/\Q$LEN_MARK\E/$body_len/g;
    }
    utf8::downgrade($req) or die "hostile.t: $where: request is not bytes\n";
    my ($method) = $req =~ /^([^ \r\n]*)/;

    my $execs_before = count_executions($fix{CRON});
    my $alog_before = -s $access_log // 0;
    my ($raw, $neterr) = exchange($req);
    my $res = parse_response($raw // '');
    my $st = $res->{status};
    $by_category{$e->{category}}++;

    for my $needle ('test-key-', KEY_HASHED_DIGEST) {
        push @leaks, "$where: the answer contains '$needle'"
            if index(lc($raw // ''), lc $needle) >= 0;
    }

    my @err;
    my $x = $e->{expect};
    my $h = $res->{headers};
    my $ctype = ($h->{'content-type'} || [''])->[0];
    if (!defined $st) {
        push @err, 'no status line in the answer' unless $x->{none};
    }
    else {
        my $as_module = $x->{module}{$st};
        my $as_httpd = $x->{httpd}{$st};
        if (!$as_module && !$as_httpd) {
            push @err, "status $st, expected $e->{expect_text}";
        }
        if ($st >= 500 && !$as_httpd) {
            push @err, "a $st answer: a 5xx from mod_charon is a bug";
        }
        # An answer of mod_charon: JSON, a problem document for an error.
        if ($as_module && !$as_httpd) {
            my $want = $st == 200 ? 'application/json'
                                  : 'application/problem+json';
            push @err, "Content-Type '$ctype', expected $want"
                unless $ctype =~ m{^\Q$want\E\s*(;|$)}i;
            my $cc = join ',', @{ $h->{'cache-control'} || [] };
            push @err, "Cache-Control '$cc' has no no-store"
                unless $cc =~ /(^|[ ,])no-store([ ,;]|$)/i;
            if ($method ne 'HEAD') {
                my $d = eval { $JSON->decode($res->{body}) };
                if (ref $d ne 'HASH') {
                    push @err, 'the body is not a JSON object';
                }
                elsif ($st != 200 && ($d->{status} // '') ne $st) {
                    push @err, "the problem's status is "
                        . ($d->{status} // 'absent') . ", not $st";
                }
            }
            elsif (length $res->{body}) {
                push @err, 'a HEAD answer with a body';
            }
        }
    }
    # httpd logs the request before it closes the connection: the lines
    # added since the request was sent are this request's.
    for my $l (split /\n/, log_since($access_log, $alog_before)) {
        push @err, "the access_log has no status for it: " . short($l, 200)
            if length $l && $l !~ /" \d{3} (\d+|-)$/;
    }
    for my $hv (@{ $e->{header} }) {
        my ($name, $want) = expand($hv, \%v, $where) =~ /^([^:]+):\s*(.*)$/
            or die "hostile.t: $where: bad 'header:' line\n";
        my $got = $h->{lc $name};
        push @err, "header $name is " . ($got ? "'@$got'" : 'absent')
            . ", expected '$want'"
            unless $got && header_set(join ',', @$got) eq header_set($want);
    }
    for my $name (@{ $e->{noheader} }) {
        push @err, "header $name is present: '@{ $h->{lc $name} }'"
            if $h->{lc $name};
    }
    for my $bh (@{ $e->{bodyhas} }) {
        my $want = expand($bh, \%v, $where);
        push @err, "the body does not contain '" . short($want, 80) . "'"
            if index($res->{body}, $want) < 0;
    }
    my $from = !defined $st ? ''
        : $ctype =~ m{^application/(problem\+)?json\s*(;|$)}i ? ''
        : $method eq 'HEAD' && !length $res->{body} ? ''
        : ' from httpd';
    my $name = "$e->{category}/$e->{name}: "
        . (defined $st ? "$st$from" : 'no answer')
        . " (expected $e->{expect_text})";
    ok(!@err, $name) or diag join("\n", "$where",
        'request: ' . short($req),
        ($neterr ? "network: $neterr" : ()),
        'answer: ' . short($raw // '', 400), @err);

    next unless @{ $e->{db} };

    # ---- what the database holds afterwards
    my @dberr;
    my $exec_id = $v{EXEC};
    for my $c (@{ $e->{db} }) {
        if ($c =~ /^(messages|message|message-type|running|ended)\b/
            && !$exec_id) {
            push @dberr, "'$c' needs {EXEC} in the request";
            next;
        }
        if ($c =~ /^messages (\d+)$/) {
            my $n = count_messages($exec_id);
            push @dberr, "execution $exec_id has $n messages, expected $1"
                unless $n == $1;
        }
        elsif ($c =~ /^message (.*)$/s) {
            my $want = expand($1, \%v, $where);
            my $m = messages_of($exec_id);
            if (@$m != 1) {
                push @dberr, "execution $exec_id has " . scalar(@$m)
                    . " messages, expected exactly one";
            }
            elsif ($m->[0]{message} ne $want) {
                push @dberr, "message stored as '" . short($m->[0]{message})
                    . "', expected '" . short($want) . "'";
            }
        }
        elsif ($c =~ /^message-type (\w+)$/) {
            my $m = messages_of($exec_id);
            my $t = @$m ? $m->[-1]{type} : '(no message)';
            push @dberr, "message type '$t', expected '$1'" unless $t eq $1;
        }
        elsif ($c eq 'running') {
            my $r = execution($exec_id);
            push @dberr, "execution $exec_id is not running: "
                . join(', ', map { "$_=" . ($r->{$_} // 'NULL') }
                       qw(ended_at success type))
                unless $r && !defined $r->{ended_at}
                    && !defined $r->{success} && !defined $r->{type};
        }
        elsif ($c =~ /^ended ([01]) (\w+)$/) {
            my $r = execution($exec_id);
            push @dberr, "execution $exec_id: "
                . join(', ', map { "$_=" . ($r->{$_} // 'NULL') }
                       qw(ended_at success type))
                . ", expected ended, success=$1, type=$2"
                unless $r && defined $r->{ended_at} && defined $r->{success}
                    && $r->{success} == $1 && ($r->{type} // '') eq $2;
        }
        elsif ($c =~ /^executions \+(\d+)$/) {
            my $n = count_executions($fix{CRON}) - $execs_before;
            push @dberr, "cron {CRON} got $n new executions, expected $1"
                unless $n == $1;
        }
    }
    ok(!@dberr, "$e->{category}/$e->{name}: database: "
       . join('; ', @{ $e->{db} }) =~ s/[^\x20-\x7e]/?/gr)
        or diag join "\n", $where, @dberr;
}

# ------------------------------------------------------- after the replay

# 1. the tables are all there, and hold the crons they held
my @tables_err;
for my $t (qw(charon_cron charon_execution charon_message)) {
    my $n = eval { (dbh()->selectrow_array("SELECT COUNT(*) FROM $t"))[0] };
    push @tables_err, "table $t: " . ($@ || 'no answer') unless defined $n;
}
my ($crons_after) = eval {
    dbh()->selectrow_array('SELECT COUNT(*) FROM charon_cron') };
push @tables_err, "charon_cron holds " . ($crons_after // '?')
    . " rows, it held $crons_before before the replay"
    unless defined $crons_after && $crons_after == $crons_before;
ok(!@tables_err, 'the three tables still exist; no cron created or deleted')
    or diag join "\n", @tables_err;

# 2. every seeded cron is still there, under its exact slug
my @seed_err;
for my $id (sort { $a <=> $b } keys %seeded) {
    my $got = cron_id($seeded{$id});
    push @seed_err, "cron $id '" . short($seeded{$id}, 80) . "' is now "
        . ($got // 'gone') unless defined $got && $got == $id;
}
for my $s ([$fix{SLUG}, $fix{CRON}, 1], [$fix{INACTIVE_SLUG}, $fix{INACTIVE}, 0]) {
    my ($id, $active) = dbh()->selectrow_array(
        'SELECT id, active FROM charon_cron WHERE slug = ?', undef, $s->[0]);
    push @seed_err, "cron '$s->[0]' is now " . ($id // 'gone')
        . ", active " . ($active // '?')
        unless defined $id && $id == $s->[1] && !!$active == !!$s->[2];
}
ok(!@seed_err, scalar(keys %seeded) . ' seeded crons and the two fixtures '
   . 'unchanged') or diag join "\n", @seed_err;

# 3. the shared executions were not touched
my $run = execution($fix{RUNNING});
my $end = execution($fix{ENDED});
my @exec_err;
push @exec_err, 'the running execution was ended'
    unless $run && !defined $run->{ended_at};
push @exec_err, 'messages were added to the running execution'
    if count_messages($fix{RUNNING});
push @exec_err, 'the ended execution changed'
    unless $end && join('|', map { $end->{$_} // '' } qw(ended_at success type))
        eq join('|', map { $ended_before->{$_} // '' } qw(ended_at success type));
push @exec_err, 'the ended execution got messages'
    unless count_messages($fix{ENDED}) == 1;
ok(!@exec_err, '{RUNNING} still running without messages, {ENDED} unchanged')
    or diag join "\n", @exec_err;

# 4. no crash in the error_log since the replay started
my $elog = log_since($error_log, $error_off);
my $crash_re = join '|', map { quotemeta } 'Segmentation fault',
    'exit signal', 'AH00052', 'AH00051', 'double free', 'AddressSanitizer',
    'LeakSanitizer', 'UndefinedBehaviorSanitizer', 'stack smashing',
    'corrupted size', 'free(): invalid';
my @crash = grep { /$crash_re/ } split /\n/, $elog;
ok(!@crash, 'no crash sign in the error_log since the replay started')
    or diag join "\n", map { short($_, 300) } @crash[0 .. ($#crash > 19 ? 19 : $#crash)];

# 5. every request was given a status in the access_log
my @nostatus = grep { !/" \d{3} (\d+|-)$/ }
               grep { length } split /\n/, log_since($access_log, $access_off);
ok(!@nostatus, 'every request since the replay started is logged with a '
   . 'three-digit status') or diag join "\n", "status missing in:",
    map { short($_, 200) } @nostatus[0 .. ($#nostatus > 19 ? 19 : $#nostatus)];

# 6. the replay really ran: every category had entries, > 150 in all
ok(@entries >= 150 && keys(%by_category) >= 10,
   scalar(@entries) . ' entries in ' . scalar(keys %by_category)
   . ' categories replayed')
    or diag explain \%by_category;

# 7. no key echoed
ok(!@leaks, 'no API key echoed in any answer') or diag join "\n", @leaks;
