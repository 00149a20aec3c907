# /etc/jupyter/nbgrader_config.py on every single-user server (unix users and Kubernetes alike).
# The instructor's server gets PARTYQUIZ_ROLE=instructor from the hub (pre_spawn_hook in
# deploy/unix/jupyterhub_config.py or hub.extraConfig in deploy/k8s/values.yaml); everyone else
# is a learner. Learners' student id: with real unix users nbgrader uses the login; on
# Kubernetes every pod runs as `jovyan`, and nbgrader then uses JUPYTERHUB_USER.
import os

c = get_config()  # noqa: F821

EXCHANGE = os.environ.get("PARTYQUIZ_EXCHANGE", "/srv/nbgrader/exchange")
COURSE_ID = os.environ.get("PARTYQUIZ_COURSE_ID", "partyquiz")

if os.environ.get("PARTYQUIZ_ROLE") == "instructor":
    from partyquiz.grading.site import GraderSite

    site = GraderSite(
        root=os.environ.get("PARTYQUIZ_GRADER_ROOT", os.path.expanduser("~/grader")),
        exchange=EXCHANGE,
        course_id=COURSE_ID,
        db_url=os.environ.get("PARTYQUIZ_GRADEBOOK_URL"),  # postgresql://… ; SQLite file when unset
    )
    c.merge(site.config())
    # With real unix users the owner of a submission is meaningful: let nbgrader check it.
    c.ExchangeCollect.check_owner = os.environ.get("PARTYQUIZ_CHECK_OWNER", "1") == "1"
else:
    c.CourseDirectory.course_id = COURSE_ID
    c.Exchange.root = EXCHANGE
    # Learners never run the instructor's tools, even if they find the URL.
    c.ServerApp.jpserver_extensions = {"nbgrader.server_extensions.formgrader": False}

# Under the hub (PARTYQUIZ_EXCHANGE_URL set by the hub config) nbgrader talks to the exchange
# service: the student is whoever the calling hub token belongs to, times are the server's.
from partyquiz.exchange.hub import use_service_from_env  # noqa: E402

use_service_from_env(c)
