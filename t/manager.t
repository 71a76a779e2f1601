# The manager page (SetHandler charon-manager, docs/MANAGER.md): access
# control through httpd, the list and its filters and paging, a cron's
# page with its executions and messages, every change through a POST and
# its effect in the database, the CSRF checks (a POST without the page's
# nonce, with a stale or forged one, another user's or another page's, or
# from another origin changes nothing), escaping of hostile slugs, names,
# reasons and messages (no element or attribute that could run script),
# and the 503 when the database cannot be opened.
use strict;
use warnings;
use utf8;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use HTML::TreeBuilder ();
use List::Util ();
use MIME::Base64 ();
use POSIX ();
use Time::Local ();
use URI ();
use URI::Escape ();

plan tests => 113;

my $M = '/charon-manager';
my %USERS = (operator => 'operator-test-pw', auditor => 'auditor-test-pw',
             visitor => 'visitor-test-pw');
my $CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        . "form-action 'self'; frame-ancestors 'none'";

# ------------------------------------------------------------- helpers

sub auth {
    my ($user, $pass) = @_;
    $user //= 'operator';
    $pass //= $USERS{$user};
    return (Authorization => 'Basic '
            . MIME::Base64::encode_base64("$user:$pass", ''));
}

# This server's origin, as a browser on the page would send it.
sub origin {
    my $u = URI->new(Apache::TestRequest::resolve_url('/'));
    return $u->scheme . '://' . $u->host_port;
}

# Every page seen is parsed; what could run script is collected here and
# reported once at the end (safe_ok).
my @UNSAFE;
my %EVENT = map { $_ => 1 } qw(script iframe frame object embed img image
    audio video source link meta base form-action foreignobject use
    animate set handler);

sub tree {
    my ($res) = @_;
    my $t = HTML::TreeBuilder->new;
    $t->ignore_unknown(0);
    $t->implicit_tags(0);         # keeps <title> inside <svg>
    $t->parse($res->decoded_content // '');
    $t->eof;
    return $t;
}

sub check_safe {
    my ($res, $what) = @_;
    return unless ($res->header('Content-Type') // '') =~ m{^text/html};
    my $t = tree($res);
    for my $e ($t->look_down(sub { 1 })) {
        my $tag = lc $e->tag;
        push @UNSAFE, "$what: element <$tag>"
            if $EVENT{$tag} && $tag ne 'meta' && $tag ne 'link';
        for my $a ($e->all_external_attr_names) {
            push @UNSAFE, "$what: <$tag $a=...>" if $a =~ /^on/i;
            my $v = $e->attr($a) // '';
            push @UNSAFE, "$what: <$tag $a=\"$v\">"
                if $v =~ /^\s*(javascript|data|vbscript):/i;
        }
        push @UNSAFE, "$what: <meta http-equiv>"
            if $tag eq 'meta' && defined $e->attr('http-equiv');
        push @UNSAFE, "$what: <link>" if $tag eq 'link';
    }
    $t->delete;
}

sub safe_ok {
    ok(!@UNSAFE, 'no page had a script, img, frame, event attribute or '
                 . 'script URL') or diag join "\n", @UNSAFE;
}

# mget($query, %opt): the manager page, as operator unless user => ...
sub mget {
    my ($query, %o) = @_;
    my @auth = exists $o{user} && !defined $o{user} ? () : auth($o{user}, $o{pass});
    my $res = req($o{method} // 'GET' => ($o{path} // $M) . ($query // ''),
                  headers => [@auth, @{ $o{headers} || [] }],
                  $o{vhost} ? (vhost => $o{vhost}) : ());
    check_safe($res, "GET " . ($query // ''));
    return $res;
}

sub form_body {
    my @f = @_;
    my @out;
    while (my ($k, $v) = splice @f, 0, 2) {
        push @out, URI::Escape::uri_escape_utf8($k) . '='
                 . URI::Escape::uri_escape_utf8($v // '');
    }
    return join '&', @out;
}

# mpost([field => value, ...], %opt): a form sent as the page's would be,
# with this origin unless origin => undef / another, as operator.
sub mpost {
    my ($fields, %o) = @_;
    my @h = auth($o{user});
    my $origin = exists $o{origin} ? $o{origin} : origin();
    push @h, Origin => $origin if defined $origin;
    push @h, Referer => $o{referer} if defined $o{referer};
    my $res = req(POST => $o{path} // $M,
                  body => $o{body} // form_body(@$fields),
                  ctype => $o{ctype} // 'application/x-www-form-urlencoded',
                  headers => \@h);
    check_safe($res, "POST");
    return $res;
}

# The nonce of a page's form (the list's create form by default).
sub nonce_of {
    my ($res, $form) = @_;
    my $t = tree($res);
    my $f = $t->look_down(_tag => 'form', id => $form // 'create');
    my $in = $f && $f->look_down(_tag => 'input', name => 'nonce');
    my $v = $in && $in->attr('value');
    $t->delete;
    return $v;
}

sub fresh_nonce {
    my (%o) = @_;
    return nonce_of(mget($o{query} // '', $o{user} ? (user => $o{user}) : (),
                         $o{path} ? (path => $o{path}) : ()), $o{form});
}

# One test: an HTML page with this status and the headers every page has.
sub ok_page {
    my ($res, $status, $name) = @_;
    my @err;
    push @err, 'status ' . $res->code . ", expected $status"
        unless $res->code == $status;
    my %want = ('Content-Type' => 'text/html; charset=utf-8',
                'Cache-Control' => 'no-store',
                'Content-Security-Policy' => $CSP,
                'X-Content-Type-Options' => 'nosniff',
                'Referrer-Policy' => 'same-origin');
    for my $h (sort keys %want) {
        my $got = $res->header($h) // '(absent)';
        push @err, "$h: '$got', expected '$want{$h}'" if lc $got ne lc $want{$h};
    }
    push @err, 'no <html> document' unless ($res->content // '') =~ /<html/;
    ok(!@err, $name) or diag join("\n", @err) . "\n"
        . substr($res->content // '', 0, 600);
}

sub error_text {
    my ($res) = @_;
    my $t = tree($res);
    my $e = $t->look_down(class => qr/\berror\b/);
    my $s = $e ? $e->as_text : undef;
    $t->delete;
    return $s;
}

# The rows of table#crons: { slug => { state, running, rate, tr } } as text.
sub cron_rows {
    my ($res) = @_;
    my $t = tree($res);
    my $table = $t->look_down(_tag => 'table', id => 'crons');
    my (%rows, @order);
    for my $tr ($table ? $table->look_down(_tag => 'tr', sub {
                     defined $_[0]->attr('data-slug') }) : ()) {
        my %r;
        for my $c (qw(state running rate name last-run history policy)) {
            my $td = $tr->look_down(_tag => 'td', class => qr/(^|\s)\Q$c\E(\s|$)/);
            $r{$c} = $td ? $td->as_text : undef;
        }
        my $a = $tr->look_down(_tag => 'a', class => qr/\bcron-link\b/);
        $r{href} = $a && $a->attr('href');
        my $svg = $tr->look_down(_tag => 'svg');
        $r{bars} = $svg ? [ map { $_->attr('class') }
                            $svg->look_down(_tag => 'rect') ] : [];
        $r{titles} = $svg ? scalar(() = $svg->look_down(_tag => 'title')) : 0;
        $rows{ $tr->attr('data-slug') } = \%r;
        push @order, $tr->attr('data-slug');
    }
    my $next = $t->look_down(_tag => 'a', rel => 'next');
    my $prev = $t->look_down(_tag => 'a', rel => 'prev');
    my %nav = (next => $next && $next->attr('href'),
               prev => $prev && $prev->attr('href'));
    $t->delete;
    return (\%rows, \@order, \%nav);
}

# The rows of table#executions: [ { id, outcome, msgs => [[class, text]] } ]
sub exec_rows {
    my ($res) = @_;
    my $t = tree($res);
    my $table = $t->look_down(_tag => 'table', id => 'executions');
    my @rows;
    for my $tr ($table ? $table->look_down(_tag => 'tr', sub {
                     defined $_[0]->attr('data-execution-id') }) : ()) {
        my $o = $tr->look_down(_tag => 'td', class => qr/\boutcome\b/);
        my @m = map { [ $_->attr('class'), $_->as_text ] }
                map { $_->look_down(_tag => 'li') }
                $tr->look_down(_tag => 'ul', class => qr/\bmessages\b/);
        my $more = $tr->look_down(class => qr/\bmore\b/);
        my $slot = $tr->look_down(_tag => 'td', class => qr/\bslot\b/);
        my $slot_time = $slot && $slot->look_down(_tag => 'time');
        my $started = ($tr->look_down(_tag => 'td'))[1];
        my @badges = sort map { (grep { $_ ne 'badge' && $_ ne 'note' }
                                 split ' ', $_->attr('class'))[0] // '' }
                     $tr->look_down(_tag => 'span', class => qr/\bbadge\b/);
        push @rows, { id => $tr->attr('data-execution-id'),
                      outcome => $o && $o->as_text, msgs => \@m,
                      more => $more && $more->as_text, text => $tr->as_text,
                      slot => $slot_time && $slot_time->attr('datetime'),
                      started => $started && $started->as_text,
                      badges => join(' ', @badges) };
    }
    my $next = $t->look_down(_tag => 'a', rel => 'next');
    my $h1 = $t->look_down(_tag => 'h1');
    my %page = (next => $next && $next->attr('href'),
                h1 => $h1 && $h1->as_text, text => $t->as_text);
    $t->delete;
    return (\@rows, \%page);
}

sub has_form {
    my ($res, $id) = @_;
    my $t = tree($res);
    my $found = $t->look_down(_tag => 'form', id => $id) ? 1 : 0;
    $t->delete;
    return $found;
}

sub name_of {
    my ($id) = @_;
    my ($n) = dbh()->selectrow_array(
        'SELECT name FROM charon_cron WHERE id = ?', undef, $id);
    return $n;
}

# A run that ended (through an UPDATE, so that the triggers count it).
# A past run, inserted running and then ended (or lost) so that the
# database's triggers count it, in one transaction: a watchdog tick in
# between would find it running past max_runtime and mark it lost.
sub run_ended {
    my ($cron, $start, $secs, $success, @msgs) = @_;
    dbh()->begin_work;
    my $id = insert_execution($cron, started_at => $start);
    insert_message($id, @$_) for @msgs;
    dbh()->do('UPDATE charon_execution SET ended_at = ?, success = ?, '
            . 'type = ? WHERE id = ?', undef, db_ts($start + $secs),
              $success ? 1 : 0, $success ? 'success' : 'error', $id);
    dbh()->commit;
    return $id;
}

sub run_lost {
    my ($cron, $start, $secs) = @_;
    dbh()->begin_work;
    my $id = insert_execution($cron, started_at => $start);
    dbh()->do('UPDATE charon_execution SET lost_at = ? WHERE id = ?', undef,
              db_ts($start + $secs), $id);
    dbh()->commit;
    return $id;
}

sub purge_like {
    my ($prefix) = @_;
    my $slugs = dbh()->selectcol_arrayref(
        'SELECT slug FROM charon_cron WHERE slug LIKE ?', undef, "$prefix%");
    purge_cron($_) for @$slugs;
}

my $now = POSIX::floor(db_now());

# ------------------------------------------------------- access control (6)

my $res = req(GET => $M);
ok($res->code == 401 && ($res->header('WWW-Authenticate') // '') =~ /^Basic /,
   'no credentials: 401 with a Basic challenge (httpd, before the handler)')
    or diag $res->status_line;
$res = mget('', pass => 'wrong-password');
is($res->code, 401, 'a wrong password: 401');
$res = mget('', user => 'visitor');
is($res->code, 401, 'a valid user that Require does not name: 401');
$res = mget('', path => '/denied-manager');
is($res->code, 403, 'Require all denied: 403 whoever asks');
$res = mget('');
ok_page($res, 200, 'operator: 200, text/html, CSP, nosniff, no-store, '
                 . 'Referrer-Policy');
ok_page(mget('', user => 'auditor'), 200, 'the other user named: 200');

# ----------------------------------------------------- methods, HEAD (3)

$res = mget('', method => 'HEAD');
ok($res->code == 200 && !length($res->content // '')
   && ($res->header('Content-Type') // '') =~ m{^text/html},
   'HEAD: 200, text/html, no body') or diag $res->status_line;
$res = mget('', method => 'PUT');
ok($res->code == 405 && ($res->header('Allow') // '') eq 'GET, HEAD, POST',
   'PUT: 405 with Allow: GET, HEAD, POST')
    or diag $res->status_line . ' Allow: ' . ($res->header('Allow') // '');
$res = mget('', method => 'DELETE');
is($res->code, 405, 'DELETE: 405');

# ------------------------------------------------------------- seeding

purge_like('mgr-');
my $alpha = seed_cron('mgr-alpha', 1, 'Alpha backup');
set_cron($alpha, concurrency => 'forbid', max_runtime => 600,
         refused_inactive => 3, refused_locked => 2);
my @alpha_runs;
push @alpha_runs, run_ended($alpha, $now - 5000, 10, 1,
                            [info => 'alpha first run'], [warning => 'slow disk']);
push @alpha_runs, run_ended($alpha, $now - 4000, 40, 0, [error => 'alpha failed']);
push @alpha_runs, run_ended($alpha, $now - 3000, 20, 1);
push @alpha_runs, run_ended($alpha, $now - 2000, 30, 1, [success => 'all good']);
my $alpha_open = insert_execution($alpha, started_at => $now - 30);

my $beta = seed_cron('mgr-beta', 0, 'Beta report');
set_cron($beta, off_reason => 'maintenance window', off_until => $now + 86400);

my $gamma = seed_cron('mgr-gamma', 1, 'Gamma sync');
run_ended($gamma, $now - 3000, 5, 1);
my $gamma_lost = run_lost($gamma, $now - 2000, 100);

my $delta = seed_cron('mgr-delta', 1, 'Delta cleanup');
run_ended($delta, $now - 3000, 5, 1);
run_ended($delta, $now - 2000, 7, 0);

my $pct = seed_cron('mgr-pct%50', 1);
my $und = seed_cron('mgr-under_score', 1);
my $uni = seed_cron('mgr-ünïcode-✓', 1, 'Ünïcode ✓');

# ----------------------------------------------------------- the list (9)

$res = mget('?slug=mgr-');
ok_page($res, 200, 'the list filtered by slug: 200');
my ($rows) = cron_rows($res);
ok($rows->{'mgr-alpha'} && $rows->{'mgr-beta'} && $rows->{'mgr-gamma'}
   && $rows->{'mgr-delta'} && $rows->{'mgr-ünïcode-✓'},
   'one tr[data-slug] per cron, UTF-8 slugs as they are')
    or diag explain [sort keys %$rows];
my $a = $rows->{'mgr-alpha'} || {};
ok(($a->{state} // '') =~ /^on\b/ && ($a->{href} // '') =~ /\?cron=\Q$alpha\E$/
   && ($a->{name} // '') eq 'Alpha backup',
   'alpha: td.state says on, a.cron-link to ?cron=ID, its name')
    or diag explain $a;
my $b = $rows->{'mgr-beta'} || {};
ok(($b->{state} // '') =~ /^off\b/ && $b->{state} =~ /maintenance window/
   && index($b->{state}, substr(iso_z($now + 86400), 0, 10)) >= 0,
   'beta: td.state says off, with its reason and until')
    or diag explain $b;
ok(($a->{running} // '') eq '1' && ($b->{running} // '') eq '0',
   'running now: 1 for the open run, 0 without')
    or diag explain [$a->{running}, $b->{running}];
ok(($a->{rate} // '') =~ /^75\.0 %/,
   'success rate from the counters: 3 of 4 ended runs') or diag $a->{rate};
is_deeply($a->{bars}, [qw(success failure success success running)],
          'the sparkline: one bar per run, oldest first, outcome as class');
is($a->{titles}, 5, 'each bar has a <title> tooltip');
ok(($a->{policy} // '') =~ /one run at a time/ && $a->{policy} =~ /600 s/
   && ($a->{'last-run'} // '') =~ /running/,
   'policy shows forbid and max runtime; last run is the running one')
    or diag explain $a;

# ------------------------------------------------------------ filters (8)

sub slugs_for {
    my ($query) = @_;
    my ($r) = cron_rows(mget($query));
    return join ' ', sort grep { /^mgr-/ } keys %$r;
}
is(slugs_for('?slug=MGR-AL'), 'mgr-alpha',
   'slug filter: a substring, whatever the case');
is(slugs_for('?slug=' . URI::Escape::uri_escape('%')), 'mgr-pct%50',
   'slug filter: % is matched literally');
is(slugs_for('?slug=_'), 'mgr-under_score',
   'slug filter: _ is matched literally');
is(slugs_for('?slug=mgr-&state=off'), 'mgr-beta', 'state=off');
is(slugs_for('?slug=mgr-&state=running'), 'mgr-alpha',
   'state=running: the cron with an open run');
is(slugs_for('?slug=mgr-&state=failing'), 'mgr-delta mgr-gamma',
   'state=failing: latest outcome a failure, or lost');
is(slugs_for('?slug=mgr-&state=lost'), 'mgr-gamma',
   'state=lost: latest finished run lost');
$res = mget('?state=bogus');
ok($res->code == 400 && defined error_text($res),
   'an unknown state: 400 with .error') or diag $res->status_line;

# ------------------------------------------------------------- paging (4)

my @paged = map { sprintf 'mgr-page-%03d', $_ } 0 .. 54;
seed_cron($_, 1) for @paged;
my ($p1, $o1, $n1) = cron_rows(mget('?slug=mgr-page-'));
is_deeply($o1, [@paged[0 .. 49]], 'page 1: the first 50 crons by slug');
ok(($n1->{next} // '') =~ /page=2/ && ($n1->{next} // '') =~ /slug=mgr-page-/
   && !$n1->{prev}, 'page 1 links to page 2, keeping the filter')
    or diag explain $n1;
my ($p2, $o2, $n2) = cron_rows(mget('?slug=mgr-page-&page=2'));
ok(eq_array($o2, [@paged[50 .. 54]]) && !$n2->{next} && $n2->{prev},
   'page 2: the last 5, a link back, none further') or diag explain [$o2, $n2];
is(mget('?page=0')->code, 400, 'page=0: 400');

# ---------------------------------------------------------- a cron (11)

$res = mget("?cron=$alpha");
ok_page($res, 200, 'the cron page: 200');
my ($ex, $pg) = exec_rows($res);
ok(($pg->{h1} // '') =~ /mgr-alpha/, 'h1 holds the slug') or diag $pg->{h1};
is_deeply([map { $_->{id} } @$ex], [$alpha_open, reverse @alpha_runs],
          'one tr[data-execution-id] per execution, newest first');
is_deeply([map { $_->{outcome} } @$ex],
          [qw(running success success failure success)],
          'td.outcome: running, success, failure');
my %msg = map { $_->{id} => $_->{msgs} } @$ex;
ok(eq_array([map { $_->[0] } @{ $msg{ $alpha_runs[0] } }], [qw(msg-info msg-warning)])
   && $msg{ $alpha_runs[0] }[0][1] =~ /alpha first run/
   && ($msg{ $alpha_runs[1] }[0][0] // '') eq 'msg-error'
   && ($msg{ $alpha_runs[3] }[0][0] // '') eq 'msg-success',
   "each execution's messages as ul.messages li.msg-TYPE")
    or diag explain \%msg;
ok($pg->{text} =~ /Skipped starts\s*5\b/ && $pg->{text} =~ /3 while off/
   && $pg->{text} =~ /2 while another run held the lock/,
   'skipped starts: refused_inactive + refused_locked') or diag $pg->{text};
ok($pg->{text} =~ /3 succeeded, 1 failed, 0 lost/,
   'the outcome counters') or diag $pg->{text};
($ex) = exec_rows(mget("?cron=$gamma"));
is(($ex->[0] || {})->{outcome}, 'lost', 'a lost run: td.outcome lost');
is(mget('?cron=999999999999')->code, 404, 'no such cron: 404');
ok(mget('?cron=abc')->code == 404 && mget("?cron=$alpha&before=x")->code == 400,
   'a cron id that is no number: 404; a bad before: 400');
ok(!has_form(mget("?cron=$alpha"), 'switch-on')
   && has_form(mget("?cron=$beta"), 'switch-on'),
   'form#switch-on only on the page of a cron that is off');

# ---------------------------------------- executions paged, messages capped (4)

my $many = seed_cron('mgr-many', 1);
my $ids = insert_executions($many, [ map {
    { started_at => $now - 10000 + $_ * 10, ended_at => $now - 10000 + $_ * 10 + 3,
      success => 1, type => 'success' } } 0 .. 59 ]);
insert_message($ids->[-1], 'info', "line $_") for 1 .. 105;
my ($e1, $q1) = exec_rows(mget("?cron=$many"));
is_deeply([map { $_->{id} } @$e1], [reverse @$ids[10 .. 59]],
          'executions page 1: the 50 newest');
my ($before) = ($q1->{next} // '') =~ /before=(\d+)/;
my ($e2, $q2) = exec_rows(mget("?cron=$many&before=" . ($before // 0)));
ok(eq_array([map { $_->{id} } @$e2], [reverse @$ids[0 .. 9]]) && !$q2->{next},
   'the next page (keyset on the last id shown): the 10 older, no further')
    or diag explain [$q1->{next}, map { $_->{id} } @$e2];
my $top = $e1->[0] || {};
is(scalar @{ $top->{msgs} || [] }, 100, '100 messages shown of 105');
like($top->{more} // '', qr/\b5 more\b/, 'with a note: 5 more');

# ------------------------------------------------------------- changes (21)

my $n = fresh_nonce();
ok(defined $n && $n =~ /^\d+-[0-9a-f]{64}$/, 'the page carries a nonce')
    or diag $n;
purge_cron('mgr-new');
$res = mpost([nonce => $n, action => 'create', slug => 'mgr-new',
              name => 'New one', concurrency => 'forbid',
              max_runtime => '3600']);
my $new = cron_id('mgr-new');
ok($res->code == 303 && $new
   && ($res->header('Location') // '') =~ m{^\Q$M\E\?cron=\Q$new\E&done=create$},
   'create: 303 See Other to the new cron\'s page')
    or diag $res->status_line . ' ' . ($res->header('Location') // '');
my $row = cron_row($new) || {};
ok($row->{active} == 1 && $row->{concurrency} eq 'forbid'
   && ($row->{max_runtime} // 0) == 3600 && name_of($new) eq 'New one',
   'create: the row as sent, on') or diag explain $row;
$res = mget("?cron=$new&done=create");
ok($res->code == 200 && !defined error_text($res)
   && $res->decoded_content =~ /class="notice"/,
   'the page after the redirect: 200, a notice, no .error');

$res = mpost([nonce => $n, action => 'create', slug => 'mgr-new',
              name => 'Again', concurrency => 'allow', max_runtime => '']);
ok($res->code == 409 && (error_text($res) // '') =~ /exists already/
   && name_of($new) eq 'New one',
   'create a slug taken: 409, .error, nothing changed')
    or diag $res->status_line;
my %bad_create = (
    'a slug with /' => [slug => 'mgr-a/b', name => 'x'],
    'an empty slug' => [slug => '', name => 'x'],
    'a slug of 256 bytes' => [slug => 'mgr-' . ('x' x 252), name => 'x'],
    'an empty name' => [slug => 'mgr-noname', name => '   '],
    'a bad concurrency' => [slug => 'mgr-badconc', name => 'x',
                            concurrency => 'sometimes'],
    'max_runtime abc' => [slug => 'mgr-badmax', name => 'x',
                          max_runtime => 'abc'],
    'max_runtime 0' => [slug => 'mgr-zero', name => 'x', max_runtime => '0'],
);
my @bad;
for my $what (sort keys %bad_create) {
    my %f = (concurrency => 'allow', max_runtime => '',
             @{ $bad_create{$what} });
    $res = mpost([nonce => $n, action => 'create', %f]);
    push @bad, "$what: " . $res->code . ' ' . (error_text($res) // 'no .error')
        unless $res->code == 400 && defined error_text($res)
            && !cron_id($f{slug});
}
ok(!@bad, 'bad input to create: 400, .error, nothing created') or diag join "\n", @bad;
$res = mpost([nonce => $n, action => 'create', slug => 'mgr-kept"<b>',
              name => '"><script>alert(1)</script>', max_runtime => 'x']);
my $tt = tree($res);
my $kept = $tt->look_down(_tag => 'form', id => 'create');
ok($res->code == 400 && $kept
   && ($kept->look_down(_tag => 'input', name => 'slug')->attr('value') // '')
      eq 'mgr-kept"<b>'
   && ($kept->look_down(_tag => 'input', name => 'name')->attr('value') // '')
      eq '"><script>alert(1)</script>',
   'a refused form is shown again with what was sent, escaped')
    or diag $res->status_line;
$tt->delete;

$n = fresh_nonce(query => "?cron=$new", form => 'rename');
$res = mpost([nonce => $n, action => 'rename', cron => $new,
              name => 'Renamed ✓']);
ok($res->code == 303 && name_of($new) eq 'Renamed ✓'
   && ($res->header('Location') // '') =~ /\?cron=\Q$new\E&done=rename$/,
   'rename: 303, the new name stored') or diag $res->status_line;
$res = mpost([nonce => $n, action => 'rename', cron => $new, name => '']);
ok($res->code == 400 && defined error_text($res) && name_of($new) eq 'Renamed ✓',
   'rename to nothing: 400, .error, the name kept');

my $until = $now + 2 * 86400;
my $local = substr(iso_z($until), 0, 16);        # YYYY-MM-DDTHH:MM
$res = mpost([nonce => $n, action => 'switch-off', cron => $new,
              reason => 'disk full', until => $local]);
$row = cron_row($new) || {};
ok($res->code == 303 && $row->{active} == 0
   && ($row->{off_reason} // '') eq 'disk full'
   && ts_epoch($row->{off_until}) == POSIX::floor($until / 60) * 60,
   'switch-off with a datetime-local until: off, the reason, until in UTC')
    or diag explain [$res->status_line, $row];
my $api = decode_body(req(GET => '/api/mgr-new/can-start', key => KEY_CLEAR)) || {};
ok(!$api->{canStart} && ($api->{reason} // '') eq 'disk full'
   && ($api->{until} // '') eq iso_z(POSIX::floor($until / 60) * 60),
   'the API refuses it with that reason and until') or diag explain $api;
$res = mpost([nonce => $n, action => 'switch-off', cron => $new,
              reason => 'later', until => iso_z($until + 17)]);
$row = cron_row($new) || {};
ok($res->code == 303 && ts_epoch($row->{off_until}) == $until + 17
   && $row->{off_reason} eq 'later',
   'switch-off with an ISO 8601 until in Z: stored to the second')
    or diag explain $row;
@bad = ();
for my $case (['', 'in a week'], ['past', iso_z($now - 3600)],
              ['no reason', ''], ['a date that is not', '2031-02-30T10:00']) {
    my ($reason, $u) = $case->[0] eq 'no reason' ? ('', '') : ('x', $case->[1]);
    $res = mpost([nonce => $n, action => 'switch-off', cron => $new,
                  reason => $reason, until => $u]);
    my $after = cron_row($new) || {};
    push @bad, "$case->[0] $u: " . $res->code
        unless $res->code == 400 && defined error_text($res)
            && $after->{off_reason} eq 'later';
}
ok(!@bad, 'switch-off with a bad until, one past, or no reason: 400, '
          . '.error, unchanged') or diag join "\n", @bad;
$res = mpost([nonce => $n, action => 'switch-on', cron => $new]);
$row = cron_row($new) || {};
ok($res->code == 303 && $row->{active} == 1 && !defined $row->{off_reason}
   && !defined $row->{off_until},
   'switch-on: on, reason and until cleared') or diag explain $row;
$res = mpost([nonce => $n, action => 'policy', cron => $new,
              concurrency => 'allow', max_runtime => '']);
$row = cron_row($new) || {};
ok($res->code == 303 && $row->{concurrency} eq 'allow'
   && !defined $row->{max_runtime}, 'policy: allow, no max runtime')
    or diag explain $row;
$res = mpost([nonce => $n, action => 'policy', cron => $new,
              concurrency => 'forbid', max_runtime => '90']);
$row = cron_row($new) || {};
ok($res->code == 303 && $row->{concurrency} eq 'forbid'
   && ($row->{max_runtime} // 0) == 90, 'policy: forbid, 90 s')
    or diag explain $row;
$res = mpost([nonce => $n, action => 'policy', cron => $new,
              concurrency => 'maybe', max_runtime => '5']);
$row = cron_row($new) || {};
ok($res->code == 400 && defined error_text($res)
   && $row->{concurrency} eq 'forbid' && $row->{max_runtime} == 90,
   'policy with a bad concurrency: 400, unchanged');
$res = mpost([nonce => $n, action => 'rename', cron => 999999999999,
              name => 'ghost']);
is($res->code, 404, 'a change to a cron that does not exist: 404');
$res = mpost([nonce => $n, action => 'explode', cron => $new]);
is($res->code, 400, 'an unknown action: 400');
$res = mpost([nonce => $n, action => 'rename', cron => $new, name => 'a',
              name => 'b']);
ok($res->code == 400 && name_of($new) eq 'Renamed ✓',
   'a field given twice: 400, unchanged');
$res = mpost([], body => form_body(nonce => $n, action => 'rename', cron => $new,
                                   name => 'multipart'),
             ctype => 'multipart/form-data; boundary=x');
ok($res->code == 415 && name_of($new) eq 'Renamed ✓',
   'another content type: 415, unchanged') or diag $res->status_line;
$res = mget("?action=switch-off&cron=$new&reason=x&nonce=$n");
ok($res->code == 200 && (cron_row($new) || {})->{active} == 1,
   'the same fields in a GET change nothing');

# --------------------------------------------------------------- CSRF (13)

sub unchanged_after {
    my ($res, $what) = @_;
    my $ok = $res->code == 403 && name_of($new) eq 'Renamed ✓'
             && (cron_row($new) || {})->{active} == 1;
    ok($ok, "$what: 403, nothing changed")
        or diag $res->status_line . ' name ' . (name_of($new) // 'undef');
}
my @rename = (action => 'rename', cron => $new, name => 'csrf');
$n = fresh_nonce();
unchanged_after(mpost([@rename]), 'no nonce');
unchanged_after(mpost([nonce => '', @rename]), 'an empty nonce');
my ($ts, $mac) = $n =~ /^(\d+)-([0-9a-f]{64})$/;
(my $flipped = $mac) =~ s/^(.)/$1 eq 'a' ? 'b' : 'a'/e;
unchanged_after(mpost([nonce => "$ts-$flipped", @rename]), 'a forged nonce');
unchanged_after(mpost([nonce => ($ts - 7200) . "-$mac", @rename]),
                'a stale nonce (two hours old, its MAC copied)');
unchanged_after(mpost([nonce => fresh_nonce(user => 'auditor'), @rename]),
                "another user's nonce");
unchanged_after(mpost([nonce => $n, @rename], path => "$M/elsewhere"),
                "a nonce of another page (path)");
unchanged_after(mpost([nonce => $n, @rename], origin => 'http://evil.example'),
                'a valid nonce from another origin');
my $u = URI->new(origin());
unchanged_after(mpost([nonce => $n, @rename],
                      origin => 'http://' . $u->host . ':' . ($u->port + 1)),
                'an origin on another port');
unchanged_after(mpost([nonce => $n, @rename], origin => 'null'),
                'Origin: null');
unchanged_after(mpost([nonce => $n, @rename], origin => undef),
                'neither Origin nor Referer');
unchanged_after(mpost([nonce => $n, @rename], origin => undef,
                      referer => 'http://evil.example/charon-manager'),
                'no Origin, a Referer from another site');
$res = mpost([nonce => $n, @rename], origin => undef,
             referer => origin() . "$M?cron=$new");
ok($res->code == 303 && name_of($new) eq 'csrf',
   'no Origin, a Referer of this page: accepted') or diag $res->status_line;
ok((error_text(mpost([@rename])) // '') =~ /nonce/,
   'the 403 page says why') ;

# ---------------------------------------------------------- schedules (25)

# Written by hand, as an operator's SQL would: schedule, timezone, grace,
# min_runtime, active.
sub set_schedule {
    my ($id, %c) = @_;
    my @cols = sort keys %c;
    dbh()->do('UPDATE charon_cron SET ' . join(', ', map { "$_ = ?" } @cols)
            . ' WHERE id = ?', undef, @c{@cols}, $id);
}

sub sched_row {
    my ($id) = @_;
    return dbh()->selectrow_hashref(
        'SELECT schedule, timezone, grace, min_runtime FROM charon_cron '
      . 'WHERE id = ?', undef, $id);
}

# A watch row as the watchdog keeps one, for the schedule the cron has
# (unless schedule => another), whose next judgment never comes
# (CHARON_NEVER): the watchdog leaves it as it is written here.
my $NEVER = 253370764800;
sub set_watch {
    my ($id, %w) = @_;
    my $c = sched_row($id);
    dbh()->do('DELETE FROM charon_cron_watch WHERE cron_id = ?', undef, $id);
    dbh()->do('INSERT INTO charon_cron_watch (cron_id, schedule, timezone, '
            . 'grace, checked_until, starts_until, next_deadline, next_slot, '
            . 'last_slot, last_state, error) VALUES '
            . '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', undef, $id,
              $w{schedule} // $c->{schedule}, $c->{timezone}, $c->{grace},
              db_ts($now), db_ts($now), db_ts($NEVER), db_ts($w{next_slot}),
              db_ts($w{last_slot}), $w{last_state}, $w{error});
}

# 1 when the watchdog watches the cron's schedule as it is now.
sub watched {
    my ($id) = @_;
    my ($w) = dbh()->selectrow_array(
        'SELECT COUNT(*) FROM charon_cron_watch w JOIN charon_cron c ON '
      . 'c.id = w.cron_id WHERE w.cron_id = ? AND w.schedule = c.schedule',
        undef, $id);
    return $w;
}

# The row the watchdog writes for a slot no start came for.
sub insert_slot_row {
    my ($cron, $slot, $kind) = @_;
    dbh()->do('INSERT INTO charon_execution (cron_id, started_at, ended_at, '
            . 'api_key, remote_addr, slot, missed) VALUES '
            . '(?, ?, ?, ?, ?, ?, ?)', undef, $cron, db_ts($slot),
              db_ts($slot), '', '', db_ts($slot), $kind);
    my ($id) = dbh()->selectrow_array(
        'SELECT MAX(id) FROM charon_execution WHERE cron_id = ?', undef, $cron);
    return $id;
}

# The list's schedule cells: { slug => [data-sched-state, text] }.
sub sched_states {
    my ($res) = @_;
    my $t = tree($res);
    my %s;
    for my $tr ($t->look_down(_tag => 'tr', sub {
                    defined $_[0]->attr('data-slug') })) {
        my $td = $tr->look_down(_tag => 'td', class => qr/\bschedule\b/);
        my $sp = $td && $td->look_down(sub {
            defined $_[0]->attr('data-sched-state') });
        $s{ $tr->attr('data-slug') } =
            [ $sp && $sp->attr('data-sched-state'), $td && $td->as_text ];
    }
    $t->delete;
    return \%s;
}

# The text of a fact (dl.facts dd) of the cron page, by its dt.
sub fact_of {
    my ($res, $label) = @_;
    my $t = tree($res);
    my ($dt) = grep { $_->as_text eq $label } $t->look_down(_tag => 'dt');
    my $dd = $dt && $dt->right;
    my $s = ref $dd ? $dd->as_text : undef;
    $t->delete;
    return $s;
}

# The cron page's next slots: ([UTC, epoch], [local text], the zone).
sub page_slots {
    my ($res) = @_;
    my $t = tree($res);
    my $table = $t->look_down(_tag => 'table', id => 'next-slots');
    my (@utc, @local, $zone, @bad);
    if ($table) {
        my $th = $table->look_down(_tag => 'th');
        $zone = $th && $th->as_text;
        for my $tr ($table->look_down(_tag => 'tr', class => 'slot')) {
            my $l = $tr->look_down(_tag => 'td', class => qr/\blocal\b/);
            my $u = $tr->look_down(_tag => 'time');
            push @utc, ts_epoch($tr->attr('data-utc'));
            push @local, $l && $l->as_text;
            push @bad, $tr->attr('data-utc')
                unless $u && ($u->attr('datetime') // '') eq $tr->attr('data-utc');
        }
    }
    $t->delete;
    return (\@utc, \@local, $zone, \@bad);
}

# "Mon 2026-12-07 11:00:00 +01:00": instant t, offset off seconds.
my @DAYS = qw(Sun Mon Tue Wed Thu Fri Sat);
sub local_text {
    my ($t, $off) = @_;
    my @g = gmtime($t + $off);
    my $a = abs $off;
    return sprintf '%s %04d-%02d-%02d %02d:%02d:%02d %s%02d:%02d',
        $DAYS[$g[6]], $g[5] + 1900, $g[4] + 1, @g[3, 2, 1, 0],
        $off < 0 ? '-' : '+', int($a / 3600), int($a / 60) % 60;
}

# Europe/Paris from its rule, not from ICU: UTC+2 from 01:00Z on the last
# Sunday of March to 01:00Z on the last Sunday of October, else UTC+1.
sub last_sunday {                   # its 00:00Z
    my ($y, $m) = @_;
    my $last = Time::Local::timegm(0, 0, 0, 1, $m % 12,
                                   $m == 12 ? $y + 1 : $y) - 86400;
    return $last - (gmtime $last)[6] * 86400;
}
sub paris_offset {
    my ($t) = @_;
    my $y = (gmtime $t)[5] + 1900;
    return $t >= last_sunday($y, 3) + 3600 && $t < last_sunday($y, 10) + 3600
         ? 7200 : 3600;
}
# The first 02:30 in Paris after t, as Debian's cron runs a fixed time:
# the first of two 02:30s, 03:00 CEST when 02:30 does not exist.
sub paris_0230 {
    my ($after) = @_;
    my $day = POSIX::floor($after / 86400) * 86400 - 86400;
    for (0 .. 3) {
        my @at = grep { paris_offset($_->[0]) == $_->[1] }
                 map { [$day + 9000 - $_, $_] } 7200, 3600;
        my $u = List::Util::min(map { $_->[0] } @at);
        $u //= last_sunday((gmtime $day)[5] + 1900, 3) + 3600;
        return $u if $u > $after;
        $day += 86400;
    }
    die "no 02:30 in Paris after $after";
}

# One test: the cron page lists the five slots after the moment it was
# made (some second between the two clock readings around the request),
# as next($t) gives them one by one, and their local times as local().
sub slots_ok {
    my ($query, $next, $local, $name, %o) = @_;
    my $t0 = time;
    my $res = mget($query, %o);
    my $t1 = time;
    my ($utc, $loc, $zone, $bad) = page_slots($res);
    my @want;
    for my $t ($t0 .. $t1) {
        my @s;
        push @s, $t = $next->($t) for 1 .. 5;
        push @want, \@s;
    }
    my ($match) = grep { eq_array($utc, $_) } @want;
    my @lw = $match && $local ? map { $local->($_) } @$match : ();
    ok($res->code == 200 && $match && !@$bad
       && (!$local || eq_array($loc, \@lw)), $name)
        or diag explain { got => [map { iso_z($_) } @$utc], local => $loc,
                          want => [map { iso_z($_) } @{ $want[0] }],
                          want_local => \@lw, time_mismatch => $bad };
    return ($res, $zone);
}

# -- the form (7)

my $sc = seed_cron('mgr-sched-form', 1, 'Scheduled by form');
$res = mget("?cron=$sc");
my $sn = nonce_of($res, 'schedule');
my %shown;
{
    my $t = tree($res);
    my $f = $t->look_down(_tag => 'form', id => 'schedule');
    for my $name (qw(schedule timezone grace min_runtime)) {
        my $in = $f && $f->look_down(_tag => 'input', name => $name);
        $shown{$name} = $in && $in->attr('value');
    }
    $t->delete;
}
ok(defined $sn && $sn =~ /^\d+-[0-9a-f]{64}$/
   && join('|', map { $_ // 'undef' } @shown{qw(schedule timezone grace
                                               min_runtime)}) eq '||300|',
   'form#schedule: a nonce, and the cron\'s values (none, the default '
   . 'zone, 300 s, none)') or diag explain [$sn, \%shown];

$res = mpost([nonce => $sn, action => 'schedule', cron => $sc,
              schedule => '30 2 * * *', timezone => 'Europe/Paris',
              grace => '10m', min_runtime => '20m']);
my $sr = sched_row($sc) || {};
ok($res->code == 303
   && ($res->header('Location') // '') =~ /\?cron=\Q$sc\E&done=schedule$/
   && ($sr->{schedule} // '') eq '30 2 * * *'
   && ($sr->{timezone} // '') eq 'Europe/Paris' && $sr->{grace} == 600
   && ($sr->{min_runtime} // 0) == 1200,
   'schedule: 303, the four columns set (10m and 20m as seconds)')
    or diag explain [$res->status_line, $sr];

my %bad_sched = (
    schedule    => ['61 * * * *', '@reboot', '0 0 30 2 *', '<b>x</b>'],
    timezone    => ['Mars/Olympus', 'Europe/Paris; rm', 'x' x 80],
    grace       => ['0', '31622401', 'abc', '-5', '1.5'],
    min_runtime => ['0', '-5', 'x', '2147483648'],
);
my %words = (schedule => 'schedule', timezone => 'time zone',
             grace => 'grace', min_runtime => 'minimum runtime');
for my $field (qw(schedule timezone grace min_runtime)) {
    my @bad;
    for my $v (@{ $bad_sched{$field} }) {
        my %f = (schedule => '@every 15m', timezone => 'UTC',
                 grace => '120', min_runtime => '60', $field => $v);
        $res = mpost([nonce => $sn, action => 'schedule', cron => $sc, %f]);
        my $t = tree($res);
        my $e = $t->look_down(class => qr/\berror\b/);
        my $f = $t->look_down(_tag => 'form', id => 'schedule');
        my $in = $f && $f->look_down(_tag => 'input', name => $field);
        my @why;
        push @why, 'status ' . $res->code unless $res->code == 400;
        push @why, 'no .error naming it: ' . ($e ? $e->as_text : 'none')
            unless $e && ($e->attr('data-field') // '') eq $field
                && $e->as_text =~ /\b\Q$words{$field}\E\b/i;
        push @why, 'the field is not marked'
            unless $in && ($in->attr('aria-invalid') // '') eq 'true';
        push @why, 'the value is not shown again'
            unless $in && ($in->attr('value') // '') eq $v;
        $t->delete;
        push @why, 'the row changed' unless eq_hash(sched_row($sc) || {}, $sr);
        push @bad, "'$v': " . join('; ', @why) if @why;
    }
    ok(!@bad, "a bad $field: 400, .error[data-field=$field] naming it, the "
              . 'field marked, nothing changed') or diag join "\n", @bad;
}
$res = mpost([action => 'schedule', cron => $sc, schedule => '',
              timezone => '', grace => '', min_runtime => '']);
ok($res->code == 403 && eq_hash(sched_row($sc) || {}, $sr),
   'schedule without the nonce: 403, nothing changed')
    or diag $res->status_line;

# -- the cron page: facts, the next five slots (10)

my ($pres) = slots_ok("?cron=$sc", \&paris_0230,
                      sub { local_text($_[0], paris_offset($_[0])) },
                      'the next five slots of 30 2 * * * in Europe/Paris, '
                      . 'its local times and UTC');
my %facts = map { $_ => fact_of($pres, $_) // '' }
    ('Schedule', 'Time zone', 'Grace', 'Minimum runtime');
ok($facts{Schedule} =~ /^30 2 \* \* \*/ && $facts{'Time zone'} eq 'Europe/Paris'
   && $facts{Grace} =~ /^600 s\b/ && $facts{'Minimum runtime'} =~ /^1200 s\b/,
   'the cron page shows its schedule, zone, grace and minimum runtime')
    or diag explain \%facts;
$res = mpost([nonce => $sn, action => 'schedule', cron => $sc, schedule => '',
              timezone => '', grace => '', min_runtime => '']);
$sr = sched_row($sc) || {};
my ($none) = page_slots(mget("?cron=$sc"));
ok($res->code == 303 && !defined $sr->{schedule} && !defined $sr->{timezone}
   && $sr->{grace} == 300 && !defined $sr->{min_runtime} && !@$none,
   'empty fields: unscheduled, the default zone, 300 s, no minimum runtime; '
   . 'no slots shown') or diag explain [$res->status_line, $sr, $none];

my $ev = seed_cron('mgr-sched-every', 1);
set_schedule($ev, schedule => '@every 7m', timezone => 'America/New_York');
slots_ok("?cron=$ev", sub { (POSIX::floor($_[0] / 420) + 1) * 420 }, undef,
         '@every 7m: the multiples of 7 minutes since the epoch, whatever '
         . 'the zone');

my $dz = seed_cron('mgr-sched-default', 1);
set_schedule($dz, schedule => '0 9 * * *');
my ($dres, $dzone) = slots_ok(
    "?cron=$dz",
    sub { (POSIX::floor(($_[0] - 32400) / 86400) + 1) * 86400 + 32400 },
    sub { local_text($_[0], 0) },
    'no zone of its own, the default UTC: 0 9 * * * at 09:00Z');
ok(($dzone // '') eq 'UTC'
   && (fact_of($dres, 'Time zone') // '') =~ /^UTC \(the default/,
   'the zone in force is said to be the default')
    or diag explain [$dzone, fact_of($dres, 'Time zone')];
my ($vres, $vzone) = slots_ok(
    "?cron=$dz", sub { (POSIX::floor($_[0] / 86400) + 1) * 86400 },
    sub { local_text($_[0], 32400) },
    'where CharonDefaultTimezone is Asia/Tokyo: 0 9 * * * at 00:00Z',
    vhost => 'charon_vhost_manager_zone');
ok(($vzone // '') eq 'Asia/Tokyo'
   && (fact_of($vres, 'Time zone') // '') =~ /^Asia\/Tokyo \(the default/,
   "the virtual host's default zone, said to be the default")
    or diag explain [$vzone, fact_of($vres, 'Time zone')];

my $cp = seed_cron('mgr-sched-counts', 1);
set_schedule($cp, schedule => '@hourly');
set_watch($cp, error => 'cannot be read here (a test)');
dbh()->do('INSERT INTO charon_cron_stats (cron_id, runs_missed, runs_unknown, '
        . 'runs_unscheduled, last_missed_at) VALUES (?, ?, ?, ?, ?)', undef,
          $cp, 4, 2, 3, db_ts($now - 7200));
$res = mget("?cron=$cp");
(my $last_missed = iso_z($now - 7200)) =~ s/T(.*)Z$/ $1/;
ok((fact_of($res, 'Slots') // '') eq '4 missed, 2 unknown, 3 unscheduled starts'
   && (fact_of($res, 'Last missed slot (UTC)') // '') eq $last_missed,
   'the slots missed, unknown and unscheduled, and the last missed one')
    or diag explain [fact_of($res, 'Slots'),
                     fact_of($res, 'Last missed slot (UTC)'), $last_missed];
my ($no_slots) = page_slots($res);
ok((fact_of($res, 'Schedule') // '') =~ /invalid: cannot be read here \(a test\)/
   && !@$no_slots && (fact_of($res, 'Next slots') // '') =~ /cannot be used/,
   "a schedule the watchdog cannot use: invalid, with its reason, no slots")
    or diag explain [fact_of($res, 'Schedule'), fact_of($res, 'Next slots')];

# -- the list: a state per scheduled cron, the missed filter (5)

my %ST;
sub st_cron {
    my ($slug, $active, %c) = @_;
    my $id = seed_cron($slug, $active);
    set_schedule($id, %c) if %c;
    return $ST{$slug} = $id;
}
set_watch(st_cron('mgr-st-a-ontime', 1, schedule => '@daily'),
          last_state => 'ok', next_slot => $now + 86400);
set_watch(st_cron('mgr-st-b-due', 1, schedule => '@daily'),
          last_state => 'ok', next_slot => $now - 600);
set_watch(st_cron('mgr-st-c-missed', 1, schedule => '@daily'),
          last_state => 'missed', next_slot => $now + 86400,
          last_slot => $now - 3600);
set_watch(st_cron('mgr-st-d-unknown', 1, schedule => '@daily'),
          last_state => 'unknown', next_slot => $now + 86400);
set_watch(st_cron('mgr-st-e-invalid', 1, schedule => '@daily'),
          error => 'no slot in ten years (a test)');
st_cron('mgr-st-f-unparsable', 1, schedule => '61 * * * *');
st_cron('mgr-st-g-badzone', 1, schedule => '@daily',
        timezone => 'Mars/Olympus');
set_watch(st_cron('mgr-st-h-off', 0, schedule => '@daily'),
          last_state => 'missed', next_slot => $now - 600);
st_cron('mgr-st-i-none', 1);
# Missed under a schedule it has no more (the watchdog starts afresh).
set_watch(st_cron('mgr-st-j-oldmiss', 1, schedule => '@hourly'),
          schedule => '@daily', last_state => 'missed');

my $states = sched_states(mget('?slug=mgr-st-'));
my %want_state = ('mgr-st-a-ontime' => 'on-time', 'mgr-st-b-due' => 'due',
    'mgr-st-c-missed' => 'missed', 'mgr-st-d-unknown' => 'unknown',
    'mgr-st-e-invalid' => 'invalid', 'mgr-st-f-unparsable' => 'invalid',
    'mgr-st-g-badzone' => 'invalid', 'mgr-st-h-off' => 'off',
    'mgr-st-i-none' => 'unscheduled');
my %got_state = map { $_ => ($states->{$_} || [])->[0] } keys %want_state;
is_deeply(\%got_state, \%want_state,
          'td.schedule [data-sched-state]: on time, due, missed, unknown, '
          . 'invalid (3 ways), off, unscheduled');
my %text = map { $_ => ($states->{$_} || [])->[1] // '' } keys %want_state;
ok($text{'mgr-st-e-invalid'} =~ /no slot in ten years \(a test\)/
   && $text{'mgr-st-f-unparsable'} =~ /minute field/
   && $text{'mgr-st-g-badzone'} =~ /Mars\/Olympus/
   && $text{'mgr-st-b-due'} =~ /^\@daily/
   && $text{'mgr-st-h-off'} =~ /latest slot judged: missed/,
   'an invalid schedule says why; a cron off still says its latest slot '
   . 'was missed') or diag explain \%text;

is(slugs_for('?slug=mgr-st-&state=missed'), 'mgr-st-c-missed mgr-st-h-off',
   'state=missed: the crons whose latest slot judged, under the schedule '
   . 'they have, had no start');
$res = mget('?state=bogus');
like(error_text($res) // '', qr/\bmissed\b/,
     'the 400 for an unknown state lists missed among the states');

# "Not watched yet" lasts until the watchdog's next tick (every second
# here): the page is read at once, and what it says is checked against
# what charon_cron_watch said just after it was made.
my $nw = st_cron('mgr-st-k-new', 1);
# (@yearly: no slot comes while the test looks, so "on time" stays.)
set_schedule($nw, schedule => '@yearly');
my $nw_state = sched_states(mget('?slug=mgr-st-k-new'))->{'mgr-st-k-new'};
my $seen = watched($nw);
my $nw_ok = wait_until(sub { watched($nw) }, 30);
my $later = sched_states(mget('?slug=mgr-st-k-new'))->{'mgr-st-k-new'};
ok(($seen ? ($nw_state->[0] // '') =~ /^(not-watched|on-time)$/
          : ($nw_state->[0] // '') eq 'not-watched')
   && $nw_state->[1] =~ /not watched yet|on time/
   && $nw_ok && ($later->[0] // '') eq 'on-time',
   'a schedule just set: not watched yet, then on time once the watchdog '
   . 'took it in') or diag explain [$seen, $nw_state, $nw_ok, $later];

# -- slots in the history (3)

my $hc = seed_cron('mgr-st-l-history', 1);
my $bound = run_ended($hc, $now - 9000, 30, 1);
my $short = run_ended($hc, $now - 8000, 2, 1);
my $loose = run_ended($hc, $now - 7000, 5, 0);
dbh()->do('UPDATE charon_execution SET slot = ? WHERE id = ?', undef,
          db_ts($now - 9060), $bound);
dbh()->do('UPDATE charon_execution SET slot = ?, too_short = ? WHERE id = ?',
          undef, db_ts($now - 8040), 1, $short);
dbh()->do('UPDATE charon_execution SET unscheduled = ? WHERE id = ?', undef,
          1, $loose);
my $miss = insert_slot_row($hc, $now - 6000, 'missed');
my $unk = insert_slot_row($hc, $now - 5000, 'unknown');
my ($hist_rows) = exec_rows(mget("?cron=$hc"));
my %hrow = map { $_->{id} => $_ } @$hist_rows;
is_deeply([map { [$_->{id}, $_->{outcome}] } @$hist_rows],
          [[$unk, 'unknown'], [$miss, 'missed'], [$loose, 'failure'],
           [$short, 'success'], [$bound, 'success']],
          'td.outcome: missed and unknown for the slots no start came for');
my @slot_bad;
for my $c ([$bound, iso_z($now - 9060), ''], [$short, iso_z($now - 8040), 'too-short'],
           [$loose, undef, 'unscheduled'], [$miss, iso_z($now - 6000), ''],
           [$unk, iso_z($now - 5000), '']) {
    my ($id, $slot, $badges) = @$c;
    my $r = $hrow{$id} || {};
    push @slot_bad, "$id: slot " . ($r->{slot} // 'none') . ', badges '
                    . ($r->{badges} // '')
        unless ($r->{slot} // '') eq ($slot // '')
            && ($r->{badges} // '') eq $badges;
}
push @slot_bad, "missed row: started '" . ($hrow{$miss}{started} // '') . "'"
    unless ($hrow{$miss}{started} // 'x') !~ /\d/;
ok(!@slot_bad, 'td.slot: the slot of each start, "unscheduled" for one that '
               . 'fits none; "too short" on the run that ended too soon; a '
               . 'missed slot has no start') or diag join "\n", @slot_bad;
my ($hl) = cron_rows(mget('?slug=mgr-st-l-history'));
is_deeply(($hl->{'mgr-st-l-history'} || {})->{bars},
          [qw(success success failure missed unknown)],
          'the sparkline: missed and unknown slots have bars of their own');

# ------------------------------------------------------------ escaping (6)

my %H = (slug => '<script>alert(1)</script>',
         name => '"><img src=x onerror=alert(2)>',
         reason => "<svg onload=alert(3)>'\"",
         msg => q{<script>alert(4)</script>' onmouseover='alert(5)},
         key => '<b>key</b>', addr => '"><i>');
purge_cron($H{slug});
my $h = seed_cron($H{slug}, 0, $H{name});
set_cron($h, off_reason => $H{reason}, off_until => $now + 3600);
# A schedule and a zone no one can read, shown as text with why.
set_schedule($h, schedule => '<script>alert(6)</script>', timezone => '"><i>');
my $he = insert_execution($h, started_at => $now - 100, api_key => $H{key},
                          remote_addr => $H{addr});
insert_message($he, 'error', $H{msg});
$res = mget('?slug=' . URI::Escape::uri_escape('<script>'));
my ($hr) = cron_rows($res);
my $hrow = $hr->{ $H{slug} } || {};
ok(($hrow->{name} // '') eq $H{name} && index($hrow->{state} // '', $H{reason}) > 0,
   'hostile slug, name and reason: read back as text, data-slug intact')
    or diag explain $hrow;
my $raw = $res->content;
ok(index($raw, '&lt;script&gt;alert(1)&lt;/script&gt;') >= 0
   && index($raw, '<script') < 0 && index($raw, '<img') < 0
   && index($raw, '<svg onload') < 0,
   'the list has them escaped, raw nowhere');
$res = mget("?cron=$h");
$raw = $res->content;
my ($hx) = exec_rows($res);
ok(($hx->[0]{msgs}[0][1] // '') =~ /\Q$H{msg}\E/
   && index($hx->[0]{text}, $H{key}) >= 0 && index($hx->[0]{text}, $H{addr}) >= 0,
   'the cron page: message, key and address read back as text')
    or diag explain $hx;
ok(index($raw, '<script') < 0 && index($raw, '<b>key') < 0
   && index($raw, '"><i>') < 0 && index($raw, "onmouseover='") < 0
   && index($raw, '&lt;script&gt;alert(4)&lt;/script&gt;&#39; onmouseover=&#39;') >= 0,
   'the cron page has them escaped, raw nowhere');
ok(index($raw, 'value="' . "&lt;svg onload=alert(3)&gt;&#39;&quot;" . '"') >= 0,
   'in an attribute (the reason in its form field): quotes escaped too');

# 503 when the database cannot be opened
# (the main server's <Location> and its Basic auth apply there too)
$res = mget('', vhost => 'charon_vhost_manager_nodb');
ok($res->code == 503 && ($res->header('Retry-After') // '') =~ /^\d+$/
   && ($res->header('Content-Type') // '') =~ m{^text/html},
   'no database: 503 with Retry-After, an HTML page') or diag $res->status_line;

# The crons given a schedule here go, with their watch rows, so that the
# watchdog does not judge them on while the tests after this one run.
set_schedule($h, schedule => undef, timezone => undef);
my $scheduled = dbh()->selectcol_arrayref(
    "SELECT id FROM charon_cron WHERE slug LIKE 'mgr-sched-%' OR slug LIKE "
  . "'mgr-st-%' OR id = ?", undef, $h);
for my $id (@$scheduled) {
    dbh()->do("DELETE FROM charon_$_ WHERE cron_id = ?", undef, $id)
        for qw(cron_watch cron_stats);
}
purge_like($_) for qw(mgr-sched- mgr-st-);

safe_ok();
no_leak_ok();
