"""The receivers of t/alerts.t's channels, for one run of the suite
(harness/apache_test.py): a webhook sink and an SMTP sink in this process
(harness/sinks.py), a sendmail stand-in in the copy, and
t/conf/alerts.conf naming them (included by t/conf/extra.conf.in)."""

import os
import sys

from . import proc, sinks


def start(copy, on_exit):
    """Starts the sinks for the tree copied to copy; on_exit(fn) is given
    each stop. Returns (webhook sink, SMTP sink, the SMTP sink's folder)."""
    webhook = sinks.WebhookSink(hang_seconds=15).start()
    on_exit(webhook.stop)
    smtp_dir = os.path.join(copy, "t", "sink-smtp")
    smtp = sinks.SmtpSink(smtp_dir).start()
    on_exit(smtp.stop)
    # sendmail= of a channel: the stand-in in the copy (the test user may
    # not read the tree it came from), saving to t/sink-sendmail.
    t_dir = os.path.join(copy, "t")
    os.makedirs(os.path.join(t_dir, "sink-sendmail"), exist_ok=True)
    os.makedirs(os.path.join(t_dir, "bin"), exist_ok=True)
    proc.run([sys.executable, os.path.join(copy, "harness",
                                           "sendmail_standin.py"),
              "--make-wrapper", os.path.join(t_dir, "bin", "sendmail"),
              "--dir", os.path.join(t_dir, "sink-sendmail")])
    write_alerts_conf(os.path.join(t_dir, "conf", "alerts.conf"), t_dir,
                      webhook.port, smtp.port)
    return webhook, smtp, smtp_dir


def write_alerts_conf(path, t_dir, webhook, smtp):
    """The channels t/alerts.t drives, each for crons of its own prefix so
    that the rest of the suite's failures go elsewhere; short retries."""
    hook = "http://127.0.0.1:%d" % webhook
    quick = "backoff=1 timeout=2 connect_timeout=1"
    lines = [
        "# Written by harness/apache_test.py: t/alerts.t's channels.",
        "CharonManagerURL http://127.0.0.1/charon-manager/",
        "CharonAlert hook %s/hook crons=alert-hook-* %s" % (hook, quick),
        "CharonAlert flaky %s/flaky crons=alert-flaky-* %s" % (hook, quick),
        "CharonAlert doomed %s/doomed crons=alert-doomed-* give_up=4 %s"
        % (hook, quick),
        "CharonAlert refused %s/refused crons=alert-refused-* %s"
        % (hook, quick),
        "CharonAlert policy %s/policy crons=alert-policy-* %s" % (hook, quick),
        "CharonAlert many %s/many crons=alert-many-* %s" % (hook, quick),
        "CharonAlert kill %s/kill crons=alert-kill-* backoff=1 timeout=3 "
        "connect_timeout=1" % hook,
        "CharonAlert downonly %s/downonly crons=alert-policy-* events=down %s"
        % (hook, quick),
        "CharonAlert slack %s/slack?token=s3cr3t-query format=slack "
        "crons=alert-slack-* %s" % (hook, quick),
        "CharonAlert pd %s/pd format=pagerduty token=pd-routing-secret "
        "crons=alert-pd-* %s" % (hook, quick),
        "CharonAlert mail mailto:ops@example.com,dba@example.com "
        "smtp=smtp://127.0.0.1:%d crons=alert-mail-* %s" % (smtp, quick),
        "CharonAlert sendmail mailto:ops@example.com sendmail=%s/bin/sendmail "
        "crons=alert-sendmail-* %s" % (t_dir, quick),
        "CharonAlert prog exec:%s/bin/alert-prog "
        "crons=alert-exec-* backoff=1 timeout=3" % t_dir,
        "CharonAlert jsonl file:%s/logs/alerts.jsonl "
        "crons=alert-*" % t_dir,
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
