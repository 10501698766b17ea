import { IsString, Length } from 'class-validator';

/** Body of `POST /cart`. */
export class AddItemDto {
  @IsString()
  @Length(1, 100)
  item!: string;
}
