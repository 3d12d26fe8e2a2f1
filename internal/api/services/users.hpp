#pragma once

// Creating email users, shared by /signup, /magiclink and /otp, /invite and the admin API.

#include <functional>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "models/user.hpp"

namespace gotrue::api {

inline constexpr const char* kEmailAppMetadata = R"({"provider":"email","providers":["email"]})";

struct NewEmailUser {
    std::string id;  // empty: a new UUID
    std::string email;
    std::string aud;
    std::string role;
    std::string password_hash;
    std::string data = "{}";  // user metadata from the request (JSON object text)
    std::string app_metadata = kEmailAppMetadata;
    bool confirmed = false;
    bool invited = false;
};

// Inserts the user and its email identity (identity data = sub, email, verification flags and the
// request's data, which is also the user metadata, as GoTrue does). Returns the stored row.
[[nodiscard]] models::User CreateEmailUser(pqxx::work& tx, const NewEmailUser& spec);

// Removes a user created by this request again (with its audit rows): the undo of a signup whose
// synchronous confirmation mail could not be sent.
[[nodiscard]] std::function<void(pqxx::work&)> UndoNewUser(std::string user_id);

// A user as /signup shows an already-registered confirmed address (docs/http.md): random id,
// no identities, the request's data.
[[nodiscard]] models::User FakeUser(
    const std::string& email, const std::string& aud, const std::string& data
);

}  // namespace gotrue::api
