#pragma once

#include "common/result.h"

#include <QString>

#include <optional>

namespace cd::settings {

// Secrets (the RunPod API key) live in the desktop keychain when there is one (QtKeychain:
// Secret Service, KWallet). Without one (headless servers) they fall back to a file of their own
// under <data dir>/secrets/, mode 0600, and say so: the environment is the better place there.
class SecretStore
{
public:
    SecretStore(QString dataDir, bool useKeychain);

    struct Value
    {
        QString secret;
        QString origin; // "keychain" or the file path; empty when unset
    };
    Value read(const QString &name) const;
    Result<QString> write(const QString &name, const QString &secret); // returns where it went
    QString filePath(const QString &name) const;
    // Forgets a secret, in the keychain and in the file.
    void remove(const QString &name);
    // Whether a desktop keychain answers (asked once, then remembered): without one, secrets go to
    // files, which a person should be told.
    bool keychainAnswers() const;

private:
    QString m_dir;
    bool m_useKeychain;
    mutable std::optional<bool> m_answers;
};

} // namespace cd::settings
