#include "remote/envelope.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace openduck {

//! Payload bytes reserved up front; larger payloads grow as they arrive, so a bogus length costs nothing.
static constexpr size_t MAX_RESERVE = 16 << 20;

std::string EncodeEnvelope(uint8_t flags, const std::string &payload) {
	if (payload.size() > UINT32_MAX) {
		throw std::length_error("envelope payload larger than 4 GiB");
	}
	auto size = static_cast<uint32_t>(payload.size());
	std::string out;
	out.reserve(5 + payload.size());
	out += static_cast<char>(flags);
	for (int shift = 24; shift >= 0; shift -= 8) {
		out += static_cast<char>(size >> shift);
	}
	out += payload;
	return out;
}

EnvelopeReader::EnvelopeReader(Handler on_envelope_p) : on_envelope(std::move(on_envelope_p)) {
}

void EnvelopeReader::Feed(const char *data, size_t size) {
	while (size > 0) {
		if (header_size < HEADER_SIZE) {
			size_t count = std::min(size, HEADER_SIZE - header_size);
			std::copy(data, data + count, header + header_size);
			header_size += count;
			data += count;
			size -= count;
			if (header_size < HEADER_SIZE) {
				return;
			}
			auto bytes = reinterpret_cast<const uint8_t *>(header);
			payload_size = (size_t(bytes[1]) << 24) | (size_t(bytes[2]) << 16) | (size_t(bytes[3]) << 8) | bytes[4];
			payload.clear();
			payload.reserve(std::min(payload_size, MAX_RESERVE));
		}
		size_t count = std::min(size, payload_size - payload.size());
		payload.append(data, count);
		data += count;
		size -= count;
		if (payload.size() == payload_size) {
			// Ready for the next header before the handler runs, in case it throws.
			header_size = 0;
			on_envelope(static_cast<uint8_t>(header[0]), payload);
		}
	}
}

bool EnvelopeReader::AtBoundary() const {
	return header_size == 0;
}

} // namespace openduck
