package dnp3

import "errors"

// Sentinel errors. Callers compare with errors.Is; the sensor counts them
// in weird.log.
var (
	// ErrShort means the input ends before the structure it announces.
	ErrShort = errors.New("dnp3: truncated")
	// ErrNoSync means bytes were skipped because they did not start with
	// the 0x05 0x64 frame sync.
	ErrNoSync = errors.New("dnp3: garbage before frame sync")
	// ErrHeaderCRC means a link header failed its CRC.
	ErrHeaderCRC = errors.New("dnp3: bad link header CRC")
	// ErrBlockCRC means a link data block failed its CRC; the frame was dropped.
	ErrBlockCRC = errors.New("dnp3: bad link data block CRC")
	// ErrLinkLength means a link header has a LEN below 5.
	ErrLinkLength = errors.New("dnp3: link length below 5")
	// ErrTransportSeq means a transport segment was out of sequence and was dropped.
	ErrTransportSeq = errors.New("dnp3: transport segment out of sequence")
	// ErrTransportNoFirst means a non-FIR segment arrived with no fragment in progress.
	ErrTransportNoFirst = errors.New("dnp3: transport segment without first segment")
	// ErrTransportAbandoned means a FIR segment restarted an unfinished fragment.
	ErrTransportAbandoned = errors.New("dnp3: unfinished fragment abandoned")
	// ErrFragmentTooLong means a fragment grew beyond the reassembly limit.
	ErrFragmentTooLong = errors.New("dnp3: fragment exceeds size limit")
	// ErrEmptySegment means a user-data frame carried no transport header.
	ErrEmptySegment = errors.New("dnp3: empty transport segment")
	// ErrQualifier means an object header used a reserved or unsupported
	// qualifier, or one that does not fit the object.
	ErrQualifier = errors.New("dnp3: bad qualifier")
	// ErrRange means a start/stop range had stop below start.
	ErrRange = errors.New("dnp3: bad range")
	// ErrUnknownObject means an object of unknown size carried data, so the
	// rest of the fragment cannot be parsed.
	ErrUnknownObject = errors.New("dnp3: unknown object group/variation")
	// ErrTooManyObjects means an object header announced more objects than
	// the fragment can hold.
	ErrTooManyObjects = errors.New("dnp3: object count exceeds fragment")
)
