-- Rows the local file index wrote before the library existed: derive folder, name, format and
-- whether they are listed (a Hugging Face cache blob is listed through its snapshot files).
UPDATE "model_metadata" SET
  "folder" = CASE WHEN position('/' in "relative_path") > 0 THEN split_part("relative_path", '/', 1) ELSE '' END,
  "name" = regexp_replace("relative_path", '^.*/', ''),
  "format" = CASE lower(substring("relative_path" from '\.[^./]*$'))
    WHEN '.safetensors' THEN 'safetensors' WHEN '.sft' THEN 'safetensors' WHEN '.gguf' THEN 'gguf'
    WHEN '.ckpt' THEN 'pickle' WHEN '.pt' THEN 'pickle' WHEN '.pth' THEN 'pickle' WHEN '.bin' THEN 'pickle'
    WHEN '.pkl' THEN 'pickle' WHEN '.pt2' THEN 'pickle' ELSE 'other' END,
  "listed" = "relative_path" !~ '(^|/)(models|datasets|spaces)--[^/]+/blobs/[^/]+$'
WHERE "name" = '';
