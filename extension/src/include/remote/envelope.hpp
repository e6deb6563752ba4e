//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/envelope.hpp
//
// The envelopes of Connect's streaming protocol: a flags byte, a big-endian uint32 length, then the payload.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace openduck {

//! Flags of an envelope (bit 0 is compression, which this client never offers).
static constexpr uint8_t ENVELOPE_COMPRESSED = 0x01;
static constexpr uint8_t ENVELOPE_END_STREAM = 0x02;

//! Frames `payload` as one envelope.
std::string EncodeEnvelope(uint8_t flags, const std::string &payload);

//! Splits a streamed body into envelopes as its bytes arrive, in chunks of any size: `on_envelope` is called as soon
//! as an envelope is complete, so the body is never held whole. The payload is passed by reference so the handler
//! may take it.
class EnvelopeReader {
public:
	using Handler = std::function<void(uint8_t flags, std::string &payload)>;

	explicit EnvelopeReader(Handler on_envelope);

	void Feed(const char *data, size_t size);
	//! True when the bytes fed so far end exactly after an envelope.
	bool AtBoundary() const;

private:
	static constexpr size_t HEADER_SIZE = 5;

	Handler on_envelope;
	char header[HEADER_SIZE];
	size_t header_size = 0;
	//! The payload length announced by the header, once it is complete.
	size_t payload_size = 0;
	std::string payload;
};

} // namespace openduck
