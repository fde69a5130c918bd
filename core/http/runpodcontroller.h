#pragma once

#include "services.h"

#include <QObject>

namespace cd::http {

class Router;
struct Request;
class Reply;

// RunPod's completion webhook. RunPod does not sign webhooks, so the URL we hand it carries the
// job's token.
class RunPodController : public QObject
{
    Q_OBJECT
public:
    RunPodController(Services services, QObject *parent = nullptr);
    void registerRoutes(Router &router);

private:
    void webhook(const Request &req, Reply &&reply);

    Services m_s;
};

} // namespace cd::http
