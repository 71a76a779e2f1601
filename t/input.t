# Input rules: ids, route shapes, methods (405 + Allow), request bodies
# (limits with Content-Length and chunked, any Content-Type).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

my $slug = 'input-cron';
my $cron = seed_cron($slug, 1);
my $E = start_exec($cron) // 0;              # stays running until the end
my $end_body = '{"type":"info","success":true}';
my $msg_body = '{"type":"info","message":"x"}';

# ids that are not ids: always 404
my @bad_ids = (
    'abc', '-1', '1.5', '0x10', '0', '00', '9223372036854775807',
    '9223372036854775808', '99999999999999999999', '18446744073709551616',
    '18446744073709551617', '%2B1', '%201', '1%20', '1e3', '%D9%A1', '1abc',
);

my @bad_routes = (
    "/api/a/b/can-start",
    "/api/$slug/can-start/",
    "/api/",
    "/api/$slug",
    "/api/$slug/bogus",
    "/api/can-start",
    "/api//can-start",
    "/api/$slug/CAN-START",
    "/api/$slug/can-start/extra",
    "/api/$slug/can-start.json",
    "/api/$slug/can_start",
    "/api/$cron/start/",
    "/api/$cron/Start",
    "/api/$cron/starts",
    "/api/$E/message/x",
    "/api/$E",
);

# method => route, the methods that must get 405, the Allow header
my @methods = (
    ["/api/$slug/can-start", 'GET, HEAD',
     [qw(POST PUT DELETE PATCH OPTIONS TRACE)]],
    ["/api/$cron/start",     'GET, POST',
     [qw(HEAD PUT DELETE PATCH OPTIONS TRACE)]],
    ["/api/$E/end",          'POST',
     [qw(GET HEAD PUT DELETE PATCH OPTIONS TRACE)]],
    ["/api/$E/message",      'POST',
     [qw(GET HEAD PUT DELETE PATCH OPTIONS TRACE)]],
);
my $n_methods = 0;
$n_methods += @{ $_->[2] } for @methods;

plan tests => 3 * @bad_ids + 1 + @bad_routes + 1 + $n_methods + 1
    + 12 + 6 + 4 + 2 + 1;

# ---- ids: 404 for anything but 1 .. 2^63-1 (3 * @bad_ids + 1)
my $execs = count_all_executions();
my ($msgs) = dbh()->selectrow_array('SELECT COUNT(*) FROM charon_message');
for my $id (@bad_ids) {
    ok_problem(req(GET => "/api/$id/start", key => KEY_CLEAR), 404,
               "start of cron id '$id': 404");
    ok_problem(req(POST => "/api/$id/end", key => KEY_CLEAR, body => $end_body),
               404, "end of execution id '$id': 404");
    ok_problem(req(POST => "/api/$id/message", key => KEY_CLEAR, body => $msg_body),
               404, "message on execution id '$id': 404");
}
my ($msgs2) = dbh()->selectrow_array('SELECT COUNT(*) FROM charon_message');
ok(count_all_executions() == $execs && $msgs2 == $msgs,
   'nothing was created or ended by the invalid ids')
    or diag 'executions ' . count_all_executions() . " (was $execs), "
       . "messages $msgs2 (was $msgs)";

# ---- route shapes: 404 (@bad_routes + 1)
for my $p (@bad_routes) {
    my $m = $p =~ m{/(end|message)(/|$)} ? 'POST' : 'GET';
    ok_problem(req($m => $p, key => KEY_CLEAR,
                   $m eq 'POST' ? (body => $msg_body) : ()),
               404, "$m $p: 404");
}
is(count_messages($E), 0, 'no message stored by the bad routes');

# ---- methods: 405 with Allow ($n_methods + 1)
my $before = count_executions($cron);
for my $r (@methods) {
    my ($path, $allow, $list) = @$r;
    for my $m (@$list) {
        my @body = $m =~ /^(PUT|PATCH|POST)$/ ? (body => $end_body) : ();
        ok_allow(req($m => $path, key => KEY_CLEAR, @body), $allow,
                 "$m $path: 405, Allow: $allow", head => $m eq 'HEAD');
    }
}
my $row = execution($E);
ok(count_executions($cron) == $before && $row && !defined $row->{ended_at}
   && count_messages($E) == 0,
   'refused methods created, ended and stored nothing') or diag explain $row;

# ---- body size: CharonMaxBodySize 1024 in /small/ (12)
sub padded {                 # a message body of exactly $len bytes
    my ($len, $text) = @_;
    my $b = qq({"type":"info","message":"$text"});
    return substr($b, 0, -1) . (' ' x ($len - length $b)) . '}';
}
my $S = start_exec($cron) // 0;
my $b1024 = padded(1024, 'exactly 1024');
my $b1025 = padded(1025, 'one byte too many');
ok_json(req(POST => "/small/$S/message", key => KEY_SMALL, body => $b1024),
        'body of exactly 1024 bytes: 200', keys => ['id']);
ok_problem(req(POST => "/small/$S/message", key => KEY_SMALL, body => $b1025),
           413, 'body of 1025 bytes (Content-Length): 413');
ok_problem(req(POST => "/small/$S/message", key => KEY_SMALL,
               body => padded(20_000, 'far too big')),
           413, 'body of 20000 bytes (Content-Length): 413');
ok_problem(raw_req(method => 'POST', path => "/small/$S/message",
                   headers => [['X-API-KEY', KEY_SMALL],
                               ['Content-Type', 'application/json']],
                   chunks => [unpack '(a100)*', $b1025]),
           413, 'chunked body of 1025 bytes: 413');
ok_problem(raw_req(method => 'POST', path => "/small/$S/message",
                   headers => [['X-API-KEY', KEY_SMALL],
                               ['Content-Type', 'application/json']],
                   chunks => [unpack '(a1000)*', padded(50_000, 'big chunked')]),
           413, 'chunked body of 50000 bytes: 413');
ok_json(raw_req(method => 'POST', path => "/small/$S/message",
                headers => [['X-API-KEY', KEY_SMALL],
                            ['Content-Type', 'application/json']],
                chunks => [unpack '(a100)*', padded(1024, 'chunked 1024')]),
        'chunked body of exactly 1024 bytes: 200', keys => ['id']);
my @lwp_chunks = unpack '(a300)*', padded(1000, 'lwp chunked');
ok_json(req(POST => "/small/$S/message", key => KEY_SMALL,
            content => sub { shift @lwp_chunks // '' }),
        'chunked body sent by LWP (code ref), within the limit: 200',
        keys => ['id']);
my @lwp_big = unpack '(a300)*', padded(3000, 'lwp chunked big');
ok_problem(req(POST => "/small/$S/message", key => KEY_SMALL,
               content => sub { shift @lwp_big // '' }),
           413, 'chunked body sent by LWP, over the limit: 413');
my $m = messages_of($S);
is_deeply([map { $_->{message} } @$m],
          ['exactly 1024', 'chunked 1024', 'lwp chunked'],
          'only the bodies within the limit were stored');
ok_problem(req(POST => "/small/$S/end", key => KEY_SMALL,
               body => substr($end_body, 0, -1) . (' ' x 1100) . '}'),
           413, 'end with a body over the limit: 413');
$row = execution($S);
ok($row && !defined $row->{ended_at}, 'the execution was not ended')
    or diag explain $row;
ok_json(raw_req(method => 'POST', path => "/small/$S/end",
                headers => [['X-API-KEY', KEY_SMALL]],
                chunks => ['{"type":', '"success",', '"success"', ':true}']),
        'chunked end body in small pieces, no Content-Type: 200',
        keys => ['id'], fields => { id => $S });

# ---- default limit 65536 in /api/ (6)
my $D = start_exec($cron) // 0;
my $big_text = 'm' x 65000;
my $b65536 = padded(65536, $big_text);
ok_json(req(POST => "/api/$D/message", key => KEY_CLEAR, body => $b65536),
        'default limit: body of 65536 bytes: 200', keys => ['id']);
$m = messages_of($D);
ok(@$m == 1 && $m->[0]{message} eq $big_text,
   'its 65000-byte message stored whole') or diag 'got ' . scalar(@$m)
    . ' rows, length ' . length($m->[0]{message} // '');
ok_problem(req(POST => "/api/$D/message", key => KEY_CLEAR,
               body => padded(65537, 'x')),
           413, 'default limit: body of 65537 bytes: 413');
ok_problem(raw_req(method => 'POST', path => "/api/$D/message",
                   headers => [['X-API-KEY', KEY_CLEAR]],
                   chunks => [unpack '(a8192)*', padded(65537, 'y')]),
           413, 'default limit: chunked body of 65537 bytes: 413');
ok_json(raw_req(method => 'POST', path => "/api/$D/message",
                headers => [['X-API-KEY', KEY_CLEAR]],
                chunks => [unpack '(a8192)*', padded(65536, 'z')]),
        'default limit: chunked body of 65536 bytes: 200', keys => ['id']);
is(count_messages($D), 2, 'two messages stored, none from the 413s');

# ---- body forms (4)
my $W = start_exec($cron) // 0;
ok_json(req(POST => "/api/$W/message", key => KEY_CLEAR,
            body => qq( \r\n\t{"type":"info","message":"spaces"} \n)),
        'JSON surrounded by white space: 200', keys => ['id']);
ok_json(req(POST => "/api/$W/message", key => KEY_CLEAR,
            ctype => 'application/x-www-form-urlencoded', body => $msg_body),
        'JSON body sent as a form (curl -d): 200', keys => ['id']);
ok_json(req(POST => "/api/$W/message", key => KEY_CLEAR, ctype => undef,
            body => $msg_body),
        'JSON body without Content-Type: 200', keys => ['id']);
is(count_messages($W), 3, 'all three stored');

# ---- odd bodies: no crash, no half-parsed body (2)
my $deep = '{"type":"info","message":"deep","x":' . ('[' x 5000)
         . (']' x 5000) . '}';
my $res = req(POST => "/api/$W/message", key => KEY_CLEAR, body => $deep);
my $dd = decode_body($res);
ok(($res->code == 400 || $res->code == 200) && ref $dd eq 'HASH'
   && ($res->code == 200 ? count_messages($W) == 4 : count_messages($W) == 3),
   'JSON nested 5000 deep: 400 (or 200), a JSON answer, no crash')
    or diag $res->as_string;
ok_problem(req(POST => "/api/$W/message", key => KEY_CLEAR,
               body => $msg_body . "\0garbage"),
           400, 'a JSON object followed by a NUL byte and garbage: 400');

# the key is never echoed, not even by TRACE (checked on every response)
no_leak_ok();
