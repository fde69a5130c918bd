#include "profilescontroller.h"

#include "reply.h"
#include "request.h"
#include "router.h"

#include <QJsonArray>
#include <QJsonObject>

namespace cd::http {

ProfilesController::ProfilesController(Services services, QObject *parent) : QObject(parent), m_s(std::move(services))
{}

void ProfilesController::registerRoutes(Router &router)
{
    // GET /api/profiles — read. 200 {profiles:[name..]}: the local runner's profiles a job's
    // `profile` may name. Names only: a profile's command line stays on the server. 400 any query
    // parameter.
    router.add(QHttpServerRequest::Method::Get, QStringLiteral("/api/profiles"), Access::Read, {},
               [this](const Request &, Reply &&reply) {
                   const QStringList names = m_s.profiles ? m_s.profiles() : QStringList();
                   reply.json(QJsonObject{{QStringLiteral("profiles"), QJsonArray::fromStringList(names)}});
               });
}

} // namespace cd::http
