#include "runpodcontroller.h"

#include "auth.h"
#include "router.h"
#include "runners/runpodhealth.h"
#include "store/jobstore.h"

#include <memory>

namespace cd::http {

using Code = Error::Code;

RunPodController::RunPodController(Services services, QObject *parent)
    : QObject(parent), m_s(std::move(services)), m_health(new runners::RunPodHealthCache({}, this))
{}

RunPodController::~RunPodController() = default;

void RunPodController::setHealthSource(std::function<runners::RunPodClient *()> client)
{
    delete m_health;
    m_health = new runners::RunPodHealthCache(std::move(client), this);
}

void RunPodController::registerRoutes(Router &router)
{
    // POST /api/runpod/webhook/{id}?token=<job token> — callback. Body: RunPod's status document
    // ({id, status, output|error, ...}). 200 {"status":"received"} (also when polling already settled
    // the job: RunPod retries anything else); 401/403/429 first, so an unauthenticated caller learns
    // nothing (loopback trust does not apply: the webhook settles a job); then 400 a query parameter
    // other than `token`; 404 unknown job;
    // 409 not a RunPod job; 503 RunPod backend not configured.
    router.add(QHttpServerRequest::Method::Post, QStringLiteral("/api/runpod/webhook/{}"), Access::Handler, {},
               [this](const Request &req, Reply &&reply) { webhook(req, std::move(reply)); });
    // GET /api/runpod/health — read. 200 {configured, running, idle, queued, error}: the RunPod
    // endpoint's workers (running, idle) and queued jobs as its /health said at most 5 s ago (one
    // call to RunPod serves every client meanwhile). configured false (counts 0) when this server
    // has no RunPod backend; a failed call to RunPod (5xx, 429 after retries, unreachable) is still
    // 200, with `error` saying why and the counts 0; `error` is null otherwise.
    router.add(QHttpServerRequest::Method::Get, QStringLiteral("/api/runpod/health"), Access::Read, {},
               [this](const Request &, Reply &&reply) { health(std::move(reply)); });
}

void RunPodController::health(Reply &&reply)
{
    // Parked until RunPod answers; the cache answers at once when it can.
    auto parked = std::make_shared<Reply>(std::move(reply));
    m_health->read(this, [parked](const runners::RunPodHealthSnapshot &h) {
        if (parked->alive())
            parked->json(h.toJson());
    });
}

void RunPodController::webhook(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (const auto denial = m_s.auth->webhook(req, jobId))
        return Auth::refuse(reply, *denial);
    if (auto st = req.checkQuery(req.allowedQuery); !st)
        return reply.error(st.error());
    const auto job = m_s.jobs->job(jobId);
    if (!job)
        return reply.error(Error::make(Code::NotFound, QStringLiteral("job %1 not found").arg(jobId)));
    if (job->backend != model::Backend::RunPod)
        return reply.error(
            Error::make(Code::Conflict, QStringLiteral("job %1 is not a RunPod serverless job").arg(jobId)));
    const auto body = req.jsonObject();
    if (!body)
        return reply.error(body.error());
    if (!m_s.runpodWebhook || !m_s.runpodWebhook(jobId, body.value()))
        return reply.error(Error::make(Code::Unavailable, QStringLiteral("the RunPod backend is not configured")));
    reply.json(QJsonObject{{QStringLiteral("status"), QStringLiteral("received")}, {QStringLiteral("job_id"), jobId}});
}

} // namespace cd::http
